// A client with the pipe's credentials cannot end a stream early without the receiver saying so: an
// end frame forged with the SHA-256 of the bytes so far is caught by the sender's record of what it
// sent, and the receive fails with exit code 3's kind. send() and receive() in-process, a stock
// MQTT.js client as the forger, the broker in-process.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  PipeError,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  topicRoot,
  DEFAULT_SEND_SETTINGS,
} from '../../src/client/index.js';
import { decodeFrame, encodeFrame } from '../../src/protocol/frame.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';

const brokers = new BrokerDir();
let broker: TestBroker;
const timings = { quietStreamMs: 200, receiverTickMs: 100, claimSettleMs: 50, senderTimeoutMs: 10_000 };

describe('a forged end frame', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it("fails the receive when the stream's end came before what its sender sent", async () => {
    const target = () => parseBrokerUrl(broker.url, 'the test', 'alice', 'alice secret');
    const topics = pipeTopics('forged', topicRoot(undefined, 'alice')!);
    const written: Buffer[] = [];
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    // Its outcome, kept from the start: the receive may fail while the sender still runs.
    const outcome = receive({
      target: target(),
      topics,
      output,
      follow: false,
      events: { warn: () => {} },
      timings,
    }).then(
      () => null,
      (error: unknown) => error,
    );
    // The forger watches the data topic for the stream's id and where it is.
    const forger = await broker.connectAs('alice', { clientId: 'forger' });
    const seen: Buffer[] = [];
    forger.on('message', (_topic, payload) => seen.push(payload));
    await forger.subscribeAsync(topics.data, { qos: 0 });

    const input = new PassThrough();
    const sent = send({
      target: target(),
      topics,
      input,
      settings: { ...DEFAULT_SEND_SETTINGS, lingerMs: 1 },
      events: { warn: () => {} },
      timings,
    });
    const first = randomBytes(1000);
    input.write(first);
    await until(() => Buffer.concat(written).length === first.length, 'the first part at the receiver');
    // The frames so far (the cutter may have sent the part as two, at a newline byte).
    const frames = seen.map((payload) => decodeFrame(payload));
    const forgedEnd = encodeFrame({
      type: 'end',
      streamId: frames[0]!.streamId,
      seq: frames.length,
      offset: first.length,
      payload: createHash('sha256').update(first).digest(),
    });
    await forger.publishAsync(topics.data, forgedEnd, { qos: 1 });
    // The real sender goes on, and finishes.
    input.end(randomBytes(1000));
    assert.equal(await sent, 2000);
    const error = await outcome;
    assert.ok(error instanceof PipeError, String(error));
    assert.equal(error.kind, 'incomplete');
    assert.match(
      error.message,
      /^a 2000 bytes stream sent from .+ at .+ ended after 1000 bytes here; the end was forged or the stream altered; the output is incomplete$/,
    );
    await forger.endAsync();
  });
});
