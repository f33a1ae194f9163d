// A presence record whose consumer is gone does not wedge a pipe: a consumer republishes its record
// now and then, and a receiver that hears nothing from the consumer it found takes its place. The
// record of a consumer that died with the broker (no Will could clear it) is planted by a stock
// client; send() and receive() in-process with short timings; the broker in-process.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  DEFAULT_SEND_SETTINGS,
  PipeError,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  topicRoot,
  type ReceiveRequest,
} from '../../src/client/index.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';

const brokers = new BrokerDir();
let broker: TestBroker;
const timings = { claimSettleMs: 50, receiverTickMs: 50, presenceRefreshMs: 200, consumerSilentMs: 1000 };
const topicsOf = (name: string) => pipeTopics(name, topicRoot(undefined, 'alice')!);

/** A receive in-process, with what it writes, says and ends with. */
function receiver(name: string, follow: boolean, signal?: AbortSignal) {
  const written: Buffer[] = [];
  const said: string[] = [];
  const request: ReceiveRequest = {
    target: parseBrokerUrl(broker.url, 'the test', 'alice', 'alice secret'),
    topics: topicsOf(name),
    output: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    }),
    follow,
    events: { warn: (message) => said.push(message), status: (message) => said.push(message) },
    timings,
    ...(signal === undefined ? {} : { signal }),
  };
  const ended = receive(request).then(
    () => null,
    (error: unknown) => error,
  );
  return { written: () => Buffer.concat(written), said, ended };
}

const sendInto = (name: string, data: Buffer) =>
  send({
    target: parseBrokerUrl(broker.url, 'the test', 'alice', 'alice secret'),
    topics: topicsOf(name),
    input: Readable.from([data]),
    settings: DEFAULT_SEND_SETTINGS,
    events: { warn: () => {} },
    timings,
  });

describe('a consumer that is not heard from', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('is replaced by a receiver that found its record, which then gives what waits in the pipe', async () => {
    const data = randomBytes(100_000);
    assert.equal(await sendInto('wedged', data), data.length);
    // The record a consumer left when it died with the broker.
    const ghost = await broker.connectAs('alice', { clientId: 'ghost-planter' });
    const record = JSON.stringify({ id: 'ghost', host: 'a-dead-box', pid: 1 });
    await ghost.publishAsync(topicsOf('wedged').presence, record, { qos: 1, retain: true });
    await ghost.endAsync();
    const late = receiver('wedged', false);
    assert.equal(await late.ended, null);
    assert.ok(late.written().equals(data), `${late.written().length} bytes written`);
    assert.ok(
      late.said.some((line) => /^listening in on pipe 'wedged', which a receiver on a-dead-box consumes$/.test(line)),
    );
    assert.ok(
      late.said.some((line) =>
        /^the receiver on a-dead-box has not been heard from in \d+ s; taking its place$/.test(line),
      ),
      late.said.join(' | '),
    );
  });

  it('is not replaced while it is alive', async () => {
    const stop = new AbortController();
    const consumer = receiver('alive', true, stop.signal);
    await until(() => consumer.said.includes("waiting on pipe 'alive'"), 'the consumer');
    const listener = receiver('alive', true, stop.signal);
    await until(() => listener.said.some((line) => line.startsWith("listening in on pipe 'alive'")), 'the listener');
    // Three times the silence after which a listener would take over: the consumer's record keeps coming.
    await new Promise((resolve) => setTimeout(resolve, 3 * timings.consumerSilentMs));
    const data = randomBytes(10_000);
    assert.equal(await sendInto('alive', data), data.length);
    await until(
      () => consumer.written().length === data.length && listener.written().length === data.length,
      'both copies',
    );
    stop.abort();
    for (const { ended, said } of [consumer, listener]) {
      assert.equal(((await ended) as PipeError).kind, 'interrupted');
      assert.ok(!said.some((line) => line.includes('taking its place')), said.join(' | '));
    }
  });
});
