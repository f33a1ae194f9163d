// Running the broker as a service: structured logs, health and metrics over HTTP, and a SIGTERM
// that loses nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pipeTopics } from '../src/protocol/topics.js';
import { consumerAttached, ForegroundBroker, freePort, Sky, sleep, until } from './harness.js';

/** The queued-messages gauge of one session, or null when it has no line. */
function queuedIn(metrics: string, session: string): number | null {
  const line = metrics
    .split('\n')
    .find((text) => text.startsWith(`skypipe_broker_queued_messages{session="${session}"} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

describe('the broker as a service', () => {
  const sky = new Sky();
  let broker: ForegroundBroker;
  let http = '';

  before(async () => {
    const port = await freePort();
    http = `http://127.0.0.1:${port}`;
    broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), ['--http-port', String(port)]);
    await broker.start();
  });
  after(async () => {
    if (broker.running) await broker.kill('SIGTERM');
    await sky.close();
  });

  it('answers /healthz, and /metrics with connections, bytes and the messages waiting in each pipe', async () => {
    const health = await fetch(`${http}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const session = pipeTopics('metered').mailboxClientId;
    const sent = await sky.run(['send', 'metered', '--url', broker.url], { input: randomBytes(100_000) });
    assert.equal(sent.code, 0, sent.stderr);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    assert.match(metrics, /^skypipe_broker_connections \d+$/m);
    const received = Number(/^skypipe_broker_received_bytes_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(received > 100_000, `${received} bytes received`);
    assert.match(metrics, /^skypipe_broker_sent_bytes_total \d+$/m);
    assert.ok((queuedIn(metrics, session) ?? 0) >= 2, 'the stream waits in the pipe: its data and end frames at least');
    const bytes = Number(/^skypipe_broker_queued_bytes\{user=""\} (\d+)$/m.exec(metrics)?.[1]);
    // Every frame has a 32-byte header, and the end frame carries the stream's 32-byte hash.
    assert.equal(bytes, 100_000 + 32 * queuedIn(metrics, session)! + 32, 'the bytes of the frames that wait');
    const got = await sky.run(['recv', 'metered', '--url', broker.url]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(
      queuedIn(await (await fetch(`${http}/metrics`)).text(), session),
      null,
      'nothing waits once it is received',
    );
    assert.equal((await fetch(`${http}/elsewhere`)).status, 404);
  });

  it('logs one JSON object per line on standard output', async () => {
    const lines = broker
      .running!.output()
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; name: string });
    assert.equal(lines[0]!.msg, 'listening');
    assert.ok(lines.every((line) => line.name === 'skypipe-broker'));
    assert.ok(lines.some((line) => line.msg === 'client connected'));
  });

  it('stops on SIGTERM without losing a live or a buffered stream', async () => {
    const buffered = randomBytes(2 * 1024 * 1024);
    assert.equal((await sky.run(['send', 'kept', '--url', broker.url], { input: buffered })).code, 0);
    const live = randomBytes(12 * 1024 * 1024);
    const receiver = sky.start(['recv', 'live', '--url', broker.url]);
    await consumerAttached(broker.url, 'live');
    const sender = sky.start(['send', 'live', '--url', broker.url], { input: 'pipe' });
    for (let at = 0; at < live.length / 2; at += 1024 * 1024) {
      sender.child.stdin!.write(live.subarray(at, at + 1024 * 1024));
      await sleep(50); // a live stream that lasts a while
    }
    await until(() => receiver.output().length > 0, 'the first bytes at the receiver');
    const stopped = await broker.kill('SIGTERM');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /skypipe: broker stopped \(SIGTERM\)\n$/);
    assert.match(stopped.stdout.toString(), /"msg":"stopped"/);
    await broker.start();
    sender.child.stdin!.end(live.subarray(live.length / 2));
    const [sent, received] = [await sender.result, await receiver.result];
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(
      received.stdout.equals(live),
      `the live stream, byte for byte (${received.stdout.length} of ${live.length} bytes)`,
    );
    const kept = await sky.run(['recv', 'kept', '--url', broker.url]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.ok(kept.stdout.equals(buffered), 'the buffered stream, byte for byte');
  });
});
