// A client with the pipe's credentials cannot end a stream early or write into it without the
// receiver saying so: an end frame forged with the SHA-256 of the bytes so far is caught by the
// sender's record of what it sent, and a data frame written in the sender's place by the sender's
// own frame for that place; the receive fails with exit code 3's kind, at once. send() and
// receive() in-process, a stock MQTT.js client as the forger, the broker in-process.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { MqttClient } from 'mqtt';
import {
  PipeError,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  topicRoot,
  DEFAULT_SEND_SETTINGS,
  type PipeTopics,
} from '../../src/client/index.js';
import { decodeFrame, encodeFrame, type Frame } from '../../src/protocol/frame.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';

const brokers = new BrokerDir();
let broker: TestBroker;
// The gap timeout is longer than the test: a receive that waits for it has hung.
const timings = { quietStreamMs: 200, receiverTickMs: 100, claimSettleMs: 50, senderTimeoutMs: 10_000 };

/** A pipe with a receiver, a sender that has sent `first`, and a forger who has seen its frames. */
async function pipeUnderAttack(name: string, first: Buffer) {
  const target = () => parseBrokerUrl(broker.url, 'the test', 'alice', 'alice secret');
  const topics: PipeTopics = pipeTopics(name, topicRoot(undefined, 'alice')!);
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
  const forger: MqttClient = await broker.connectAs('alice', { clientId: `forger-${name}` });
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
  input.write(first);
  await until(() => Buffer.concat(written).length === first.length, 'the first part at the receiver');
  // The frames so far (the cutter may have sent the part as two, at a newline byte).
  const frames: Frame[] = seen.map((payload) => decodeFrame(payload));
  return { topics, written, outcome, forger, frames, input, sent };
}

async function failureOf(outcome: Promise<unknown>): Promise<PipeError> {
  const error = await outcome;
  assert.ok(error instanceof PipeError, String(error));
  return error;
}

describe('forged frames', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it("fail the receive when the stream's end came before what its sender sent", async () => {
    const first = randomBytes(1000);
    const pipe = await pipeUnderAttack('forged-end', first);
    const forgedEnd = encodeFrame({
      type: 'end',
      streamId: pipe.frames[0]!.streamId,
      seq: pipe.frames.length,
      offset: first.length,
      payload: createHash('sha256').update(first).digest(),
    });
    await pipe.forger.publishAsync(pipe.topics.data, forgedEnd, { qos: 1 });
    // The real sender goes on, and finishes.
    pipe.input.end(randomBytes(1000));
    assert.equal(await pipe.sent, 2000);
    const error = await failureOf(pipe.outcome);
    assert.equal(error.kind, 'incomplete');
    assert.match(
      error.message,
      /^a 2000 bytes stream sent from .+ at .+ ended after 1000 bytes here; the end was forged or the stream altered; the output is incomplete$/,
    );
    await pipe.forger.endAsync();
  });

  it("fail the receive at once when the sender's own frame comes for a place another client wrote", async () => {
    const first = randomBytes(1000);
    const pipe = await pipeUnderAttack('injected', first);
    const injected = randomBytes(300);
    const injectedFrame = encodeFrame({
      type: 'data',
      streamId: pipe.frames[0]!.streamId,
      seq: pipe.frames.length,
      offset: first.length,
      payload: injected,
    });
    await pipe.forger.publishAsync(pipe.topics.data, injectedFrame, { qos: 1 });
    await until(() => Buffer.concat(pipe.written).length === first.length + injected.length, 'the injected frame');
    // The sender's frame for the same place and number comes next.
    pipe.input.end(randomBytes(1000));
    const error = await failureOf(pipe.outcome);
    assert.equal(error.kind, 'incomplete');
    assert.equal(
      error.message,
      `two different frames came for byte 1000 of a stream (frame ${pipe.frames.length}): another client with ` +
        "this pipe's credentials wrote into it, and the output may hold its bytes; the output is corrupt",
    );
    assert.equal(await pipe.sent, 2000);
    await pipe.forger.endAsync();
  });
});
