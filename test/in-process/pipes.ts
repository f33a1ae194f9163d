// Pipes for the in-process tier: send() and receive() run in the test's own process, over
// in-memory streams, against a broker on loopback: ours started here, or (when `npm test` started
// them) Mosquitto, NATS and RabbitMQ.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import {
  DEFAULT_SEND_SETTINGS,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  topicRoot,
  type BrokerTarget,
  type PipeTopics,
  type SendSettings,
  type Timings,
} from '../../src/client/index.js';
import { parseProgress } from '../../src/protocol/progress.js';
import { BROKERS } from '../brokers.js';
import { consumerAttached, until } from '../harness.js';
import { TcpProxy } from '../tcp-proxy.js';
import { startOurBroker, type LocalBroker } from './broker.js';
import { PipeRun, Receiving } from './runs.js';
import { EXTERNAL_TIMINGS, FAST_TIMINGS } from './timings.js';

export interface ProgressWatch {
  /** Waits until a consumer records that it has written `bytes` of a stream. */
  recorded(bytes: number): Promise<void>;
  close(): Promise<void>;
}

export interface RunOptions {
  /** Connect through this proxy, which the test can cut. */
  via?: TcpProxy;
  timings?: Partial<Timings>;
}

/**
 * One broker's pipes (`name`: as in SKYPIPE_TEST_BROKERS), under a topic root of their own; the tests
 * of one describe block share them.
 */
export class Pipes {
  url = '';
  /** A test that hangs fails after this. */
  readonly testTimeoutMs: number;
  readonly root = topicRoot(`scenario/${randomBytes(4).toString('hex')}`)!;
  private readonly targets = new Map<string, BrokerTarget>();
  private readonly runs: PipeRun<unknown>[] = [];
  private readonly proxies: TcpProxy[] = [];
  private readonly clients: MqttClient[] = [];

  constructor(
    readonly name: string,
    readonly timings: Partial<Timings>,
  ) {
    this.testTimeoutMs = timings === FAST_TIMINGS ? 30_000 : 240_000;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /**
   * Defines a test with this broker's timeout. `knownIssues` names brokers (as in SKYPIPE_TEST_BROKERS)
   * on which the test shows a known problem, and the problem: there it runs as a TODO, which
   * reports a failure without failing the run.
   */
  it(name: string, body: () => Promise<void>, knownIssues: Record<string, string> = {}): void {
    const issue = knownIssues[this.name];
    it(name, { timeout: this.testTimeoutMs, ...(issue === undefined ? {} : { todo: issue }) }, body);
  }

  topics(name: string): PipeTopics {
    return pipeTopics(name, this.root);
  }

  /** Sends `input` (its bytes, or what the stream gives until it ends) into pipe `name` as one stream. */
  send(
    name: string,
    input: Buffer | string | Readable,
    options: RunOptions & { settings?: Partial<SendSettings>; size?: number } = {},
  ): PipeRun<number> {
    const readable = typeof input === 'string' || Buffer.isBuffer(input) ? Readable.from([Buffer.from(input)]) : input;
    const run = this.track(new PipeRun<number>());
    return run.begin(
      send({
        target: this.target(options.via),
        topics: this.topics(name),
        input: readable,
        settings: { ...DEFAULT_SEND_SETTINGS, ...options.settings },
        ...(options.size === undefined ? {} : { size: options.size }),
        events: run.events,
        signal: run.signal,
        timings: { ...this.timings, ...options.timings },
      }),
    );
  }

  /** A sender whose input the test writes: `input.end()` ends the stream. */
  sendLive(name: string, options: RunOptions & { settings?: Partial<SendSettings> } = {}) {
    const input = new PassThrough();
    return { input, run: this.send(name, input, options) };
  }

  receive(name: string, options: RunOptions & { follow?: boolean } = {}): Receiving {
    const run = this.track(new Receiving());
    return run.begin(
      receive({
        target: this.target(options.via),
        topics: this.topics(name),
        output: run.sink,
        follow: options.follow ?? false,
        events: run.events,
        signal: run.signal,
        timings: { ...this.timings, ...options.timings },
      }),
    );
  }

  /** Waits until a receiver consumes pipe `name` (its presence record is set). */
  consumerAttached(name: string): Promise<void> {
    return consumerAttached(this.url, name, this.root);
  }

  /**
   * Watches the progress records of pipe `name` (a consumer's cursor in each stream), from now: a
   * wildcard subscription gets no retained messages on RabbitMQ.
   */
  async watchProgress(name: string): Promise<ProgressWatch> {
    const watcher = await mqtt.connectAsync(this.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    const seen = new Set<number>();
    watcher.on('message', (_topic, payload) => {
      const bytes = parseProgress(payload);
      if (typeof bytes === 'number') seen.add(bytes);
    });
    await watcher.subscribeAsync(this.topics(name).progress('+'), { qos: 0 });
    return {
      recorded: (bytes) => until(() => seen.has(bytes), `a consumer's progress of ${bytes} bytes in pipe '${name}'`),
      close: () => watcher.endAsync(),
    };
  }

  /** A proxy in front of this broker, closed after the tests. */
  async proxy(): Promise<TcpProxy> {
    const proxy = await TcpProxy.start(this.port);
    this.proxies.push(proxy);
    return proxy;
  }

  /** Closes `client` (a test's own MQTT client) after the tests, should its test not get to it: an open connection keeps the file's process alive. */
  closesAfter(client: MqttClient): MqttClient {
    this.clients.push(client);
    return client;
  }

  /** Ends what a failed test left running; a run that does not end when aborted fails the suite. */
  async close(): Promise<void> {
    const left = this.runs.filter((run) => !run.settled);
    for (const run of left) run.abort();
    for (const client of this.clients) client.end(true);
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
    await until(() => left.every((run) => run.settled), `${left.length} runs to end once aborted`, 10_000);
  }

  /** One target per address, so that the MQTT version is found once. */
  private target(via: TcpProxy | undefined): BrokerTarget {
    const url = via?.url ?? this.url;
    if (!this.targets.has(url)) this.targets.set(url, parseBrokerUrl(url, 'the test'));
    return this.targets.get(url)!;
  }

  private track<R extends PipeRun<unknown>>(run: R): R {
    this.runs.push(run);
    return run;
  }
}

/** A describe block whose tests use pipes on the broker `start` gives, stopped after them. */
export function describeOn(
  title: string,
  timings: Partial<Timings>,
  start: () => Promise<Pick<LocalBroker, 'url' | 'close'>>,
  body: (pipes: Pipes) => void,
): void {
  describe(`on ${title}`, () => {
    const pipes = new Pipes(title, timings);
    let broker: Pick<LocalBroker, 'url' | 'close'> | null = null;
    before(async () => {
      broker = await start();
      pipes.url = broker.url;
    });
    after(async () => {
      await pipes.close();
      await broker?.close();
    });
    body(pipes);
  });
}

/**
 * The scenarios on our broker, started in this process, and on each other broker whose address
 * `npm test` put in the environment (scripts/run-tests.mjs); SKYPIPE_TEST_BROKERS picks among them.
 */
export function onEveryBroker(body: (pipes: Pipes) => void): void {
  for (const broker of BROKERS) {
    if (broker.kind === undefined) describeOn('skypipe', FAST_TIMINGS, startOurBroker, body);
    else if (broker.url !== undefined && broker.missing === undefined) {
      const url = broker.url;
      describeOn(broker.name, EXTERNAL_TIMINGS, async () => ({ url, close: async () => {} }), body);
    }
  }
}
