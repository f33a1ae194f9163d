// A broker killed with SIGKILL and restarted: both ends ride it out, and a sender that died with it
// does not hold its receiver until the broker publishes the Will it stored (four of its heartbeats
// after it is back, minutes by default). Our broker as a real process (ForegroundBroker) with a
// users file; the ride-through with real CLI processes, the dead sender with send() and receive()
// in this process and short timings.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { DEFAULT_SEND_SETTINGS, parseBrokerUrl, PipeError, receive, send } from '../src/client/index.js';
import { pipeTopics, topicRoot } from '../src/protocol/topics.js';
import { consumerAttached, ForegroundBroker, sleep, Sky, until, type Running } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const USER = 'alice';
const PASSWORD = 'alice-secret';
const root = topicRoot(undefined, USER)!;

describe('a broker killed with SIGKILL and restarted', { timeout: 180_000 }, () => {
  const sky = new Sky();
  const users = join(sky.dir, 'users');
  const broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), ['--users', users]);
  const url = () => `mqtt://${USER}:${PASSWORD}@127.0.0.1:${broker.port}`;

  before(async () => {
    const added = await sky.run(['broker', 'user', 'add', USER, '--users', users], { input: `${PASSWORD}\n` });
    assert.equal(added.code, 0, added.stderr);
    await broker.start();
  });
  after(async () => {
    if (broker.running) await broker.kill('SIGTERM');
    await sky.close();
  });

  it('ends the stream of a sender that died with it after the sender timeout, not after its Will', async () => {
    const name = 'dead-sender';
    const topics = pipeTopics(name, root);
    const target = (at: string) => parseBrokerUrl(at, 'the test');
    const timings = {
      claimSettleMs: 50,
      receiverTickMs: 100,
      quietStreamMs: 300,
      senderTimeoutMs: 1000,
      senderRefreshMs: 200,
      reconnectEveryMs: 100,
      reconnectWindowMs: 60_000,
    };
    const written: Buffer[] = [];
    const received = receive({
      target: target(url()),
      topics,
      output: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          written.push(chunk);
          callback();
        },
      }),
      follow: false,
      events: { warn: () => {} },
      timings,
    }).then(
      () => null,
      (error: unknown) => error,
    );
    await consumerAttached(url(), name, root);
    // The sender's only way to the broker, which the test closes for good once the broker is dead.
    const proxy = await TcpProxy.start(broker.port);
    const stop = new AbortController();
    const input = new PassThrough();
    const sent = send({
      target: target(`mqtt://${USER}:${PASSWORD}@127.0.0.1:${proxy.port}`),
      topics,
      input,
      settings: DEFAULT_SEND_SETTINGS,
      events: { warn: () => {} },
      timings,
      signal: stop.signal,
    }).catch((error: unknown) => error);
    try {
      input.write('line 0\n');
      await until(() => Buffer.concat(written).toString() === 'line 0\n', 'the first line at the receiver');
      // The receiver hears the sender refresh its record (a stock client hears what it hears).
      await heardRefreshes(url(), topics.sender('+'), 2);
      // The broker first: a sender link closed before it would make the broker publish the Will now.
      await broker.kill('SIGKILL');
      await proxy.close();
      await broker.start();
      const back = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(() => resolve('still waiting'), 30_000)));
      const error = (await Promise.race([received, late])) as PipeError;
      clearTimeout(timer);
      const took = Date.now() - back;
      assert.ok(error instanceof PipeError, `the receiver after 30 s: ${String(error)}`);
      assert.equal(error.kind, 'incomplete');
      assert.match(
        error.message,
        /^the sender has not been heard from for \d+ s after 7 bytes of its stream; the output is incomplete$/,
      );
      // The sender timeout and one refresh after the receiver is back, and its ticks: not the Will's minutes.
      assert.ok(took < 10_000, `the receiver ended the stream ${took} ms after the broker was back`);
      console.log(`# the receiver ended the stream ${took} ms after the broker was back`);
      assert.equal(Buffer.concat(written).toString(), 'line 0\n');
    } finally {
      stop.abort();
      await sent;
      await proxy.close();
    }
  });

  it('loses and repeats no line of 20 senders and a following receiver', { timeout: 120_000 }, async () => {
    const name = 'crash-ride';
    const senders = 20;
    const line = (sender: number, n: number) => `sender ${sender} line ${n} ${'x'.repeat(200)}\n`;
    const receiver = sky.start(['recv', '-f', name, '--url', url()]);
    await consumerAttached(url(), name, root);
    const running: Running[] = [];
    for (let sender = 0; sender < senders; sender++)
      running.push(sky.start(['send', name, '--url', url()], { input: 'pipe' }));
    const feed = (from: number, to: number) => {
      running.forEach(({ child }, sender) => {
        for (let n = from; n < to; n++) child.stdin!.write(line(sender, n));
      });
    };
    const linesAt = () => receiver.output().toString().split('\n').length - 1;
    feed(0, 100);
    // Every sender connected and delivering (a first connection that fails ends a sender at once,
    // as a mistyped URL should): half of each one's first lines at the receiver.
    const delivering = () => {
      const output = receiver.output().toString();
      return running.every((_, sender) => output.includes(line(sender, 49)));
    };
    await until(delivering, "half of each sender's first lines at the receiver", 60_000);
    await broker.kill('SIGKILL');
    feed(100, 200); // while the broker is down: the senders hold them
    await sleep(2000); // the broker stays down 2 s, as a supervisor restarting it would leave it
    await broker.start();
    feed(200, 300);
    for (const { child } of running) child.stdin!.end();
    const results = await Promise.all(running.map(({ result }) => result));
    results.forEach(({ code, stderr }, sender) => assert.equal(code, 0, `sender ${sender}: ${stderr}`));
    const total = senders * 300;
    await until(() => linesAt() >= total, 'every line at the receiver', 60_000).catch(() => {});
    assert.equal(receiver.child.exitCode, null, `the receiver is still running: ${receiver.stderrSoFar()}`);
    receiver.child.kill('SIGKILL');
    const lines = (await receiver.result).stdout.toString().split(/(?<=\n)/);
    for (let sender = 0; sender < senders; sender++) {
      const own = lines.filter((text) => text.startsWith(`sender ${sender} line `));
      const expected = Array.from({ length: 300 }, (_, n) => line(sender, n));
      assert.deepEqual(own, expected, `sender ${sender}: ${own.length} lines, in order; ${receiver.stderrSoFar()}`);
    }
    assert.equal(lines.length, total, 'nothing else written');
    assert.doesNotMatch(receiver.stderrSoFar(), /incomplete|dropped|warning/);
  });
});

/** Waits until a stock client has heard `count` records published live (not retained copies) on `filter`. */
async function heardRefreshes(url: string, filter: string, count: number): Promise<void> {
  const watcher = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  try {
    let heard = 0;
    watcher.on('message', (_topic, payload, packet) => {
      if (!packet.retain && payload.toString() === '1') heard += 1;
    });
    await watcher.subscribeAsync(filter, { qos: 0 });
    await until(() => heard >= count, `${count} refreshes of the sender record`);
  } finally {
    await watcher.endAsync();
  }
}
