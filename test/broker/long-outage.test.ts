// An edge box that loses its uplink for longer than the reconnect window loses no line when told
// to reconnect for ever: its sender waits, and every line arrives once, in order. The sender goes
// through a proxy whose link the test cuts; send() and receive() in-process with short timings
// (a 1 s window stands for the default 5 minutes); the broker in-process.
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parseDuration } from '../../src/cli/durations.js';
import {
  DEFAULT_SEND_SETTINGS,
  PipeError,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  topicRoot,
} from '../../src/client/index.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';
import { TcpProxy } from '../tcp-proxy.js';

const brokers = new BrokerDir();
let broker: TestBroker;
const OUTAGE_MS = 3000;
const timings = { reconnectEveryMs: 100, claimSettleMs: 50, receiverTickMs: 100, quietStreamMs: 300 };
const lines = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, index) => `line ${from + index}\n`).join('');

/** Sends lines 0-99, cuts the sender's link for OUTAGE_MS, sends 100-199 meanwhile and 200-299 after. */
async function sendThroughOutage(name: string, reconnectWindowMs: number): Promise<number> {
  const proxy = await TcpProxy.start(broker.port);
  try {
    const input = new PassThrough();
    let accepted = 0;
    const sent = send({
      target: parseBrokerUrl(proxy.url, 'the test', 'alice', 'alice secret'),
      topics: pipeTopics(name, topicRoot(undefined, 'alice')!),
      input,
      settings: { ...DEFAULT_SEND_SETTINGS, partialLineMs: 10 },
      events: { warn: () => {}, progress: (bytes) => (accepted = bytes) },
      timings: { ...timings, reconnectWindowMs },
    });
    const outcome = sent.then(
      (length) => length,
      (error: unknown) => error,
    );
    input.write(lines(0, 100));
    await until(() => accepted === lines(0, 100).length, 'the broker to take the first lines');
    proxy.cut(OUTAGE_MS);
    input.write(lines(100, 200));
    await until(() => proxy.downFor() === 0, 'the end of the outage', OUTAGE_MS + 5000);
    input.end(lines(200, 300));
    const result = await outcome;
    if (result instanceof Error) throw result;
    return result as number;
  } finally {
    await proxy.close();
  }
}

describe('an outage longer than the reconnect window', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('reads --reconnect-for as seconds, with a unit, or forever', () => {
    assert.equal(parseDuration('90', '--reconnect-for', true), 90_000);
    assert.equal(parseDuration('2.5m', '--reconnect-for', true), 150_000);
    assert.equal(parseDuration('1h', '--reconnect-for', true), 3_600_000);
    assert.equal(parseDuration('forever', '--reconnect-for', true), Infinity);
    assert.throws(
      () => parseDuration('soon', '--reconnect-for', true),
      (error: PipeError) =>
        error.kind === 'usage' &&
        error.message === "--reconnect-for: 'soon' is not a duration; give seconds, or 30s, 5m, 2h, 1d, or 'forever'",
    );
  });

  it('ends a sender that may reconnect for 1 s, with the reason', async () => {
    await assert.rejects(sendThroughOutage('window', 1000), (error: PipeError) => {
      assert.match(
        error.message,
        /^lost the connection to the broker while sending into pipe 'window' and could not get it back within 1 s: /,
      );
      return true;
    });
  });

  it('gives every line once, in order, from a sender that reconnects for ever', async () => {
    const written: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const stop = new AbortController();
    const received = receive({
      target: parseBrokerUrl(broker.url, 'the test', 'alice', 'alice secret'),
      topics: pipeTopics('edge', topicRoot(undefined, 'alice')!),
      output,
      follow: true,
      events: { warn: () => {} },
      signal: stop.signal,
      timings: { ...timings, senderTimeoutMs: Infinity },
    }).catch((error: unknown) => error);
    assert.equal(await sendThroughOutage('edge', Infinity), lines(0, 300).length);
    await until(() => Buffer.concat(written).length === lines(0, 300).length, 'every line at the receiver');
    stop.abort();
    assert.equal(((await received) as PipeError).kind, 'interrupted');
    assert.equal(Buffer.concat(written).toString(), lines(0, 300));
  });
});
