// A client with the pipe's credentials cannot end a stream early or write into it without the
// receiver saying so: an end frame forged with the SHA-256 of the bytes so far is caught by the
// sender's record of what it sent, and a data frame written in the sender's place by the sender's
// own frame for that place; the receive fails with exit code 3's kind. A stock MQTT.js client is
// the forger.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { decodeFrame, encodeFrame, type Frame } from '../../src/protocol/frame.js';
import { until } from '../harness.js';
import { onEveryBroker, type Pipes } from './pipes.js';

/** A pipe with a receiver, a sender that has sent `first`, and a forger who has seen its frames. */
async function pipeUnderAttack(pipes: Pipes, name: string, first: Buffer) {
  const receiver = pipes.receive(name);
  // Consuming before the sender starts: no mailbox check of the sender's takes the first frames
  // (NATS would hold them back for its ack_wait).
  await pipes.consumerAttached(name);
  const forger = pipes.closesAfter(await mqtt.connectAsync(pipes.url, { protocolVersion: 4, reconnectPeriod: 0 }));
  const seen: Buffer[] = [];
  forger.on('message', (_topic, payload) => seen.push(payload));
  await forger.subscribeAsync(pipes.topics(name).data, { qos: 0 });
  const sender = pipes.sendLive(name);
  sender.input.write(first);
  await until(() => receiver.output().length === first.length, 'the first part at the receiver');
  // The frames so far (the cutter may have sent the part as two, at a newline byte): the forger's
  // copies may come after the receiver's.
  const seenBytes = () => seen.reduce((bytes, payload) => bytes + decodeFrame(payload).payload.length, 0);
  await until(() => seenBytes() === first.length, 'the first part at the forger');
  const frames: Frame[] = seen.map((payload) => decodeFrame(payload));
  const forge = (frame: Frame) => forger.publishAsync(pipes.topics(name).data, encodeFrame(frame), { qos: 1 });
  return { receiver, sender, frames, forge, close: () => forger.endAsync() };
}

onEveryBroker((pipes) => {
  pipes.it("fails the receive when the stream's end came before what its sender sent", async () => {
    const first = randomBytes(1000);
    const pipe = await pipeUnderAttack(pipes, 'forged-end', first);
    const { streamId } = pipe.frames[0]!;
    const digest = createHash('sha256').update(first).digest();
    await pipe.forge({ type: 'end', streamId, seq: pipe.frames.length, offset: first.length, payload: digest });
    // The real sender goes on, and finishes.
    pipe.sender.input.end(randomBytes(1000));
    assert.equal(await pipe.sender.run.result, 2000);
    const error = await pipe.receiver.failure();
    assert.equal(error.kind, 'incomplete');
    assert.match(
      error.message,
      /^a 2000 bytes stream sent from .+ at .+ ended after 1000 bytes here; the end was forged or the stream altered; the output is incomplete$/,
    );
    await pipe.close();
  });

  pipes.it("fails the receive at once when the sender's own frame comes for a place another client wrote", async () => {
    const first = randomBytes(1000);
    const pipe = await pipeUnderAttack(pipes, 'injected', first);
    const injected = randomBytes(300);
    const { streamId } = pipe.frames[0]!;
    await pipe.forge({ type: 'data', streamId, seq: pipe.frames.length, offset: first.length, payload: injected });
    await until(() => pipe.receiver.output().length === first.length + injected.length, 'the injected frame');
    // The sender's frame for the same place and number comes next.
    pipe.sender.input.end(randomBytes(1000));
    const error = await pipe.receiver.failure();
    assert.equal(error.kind, 'incomplete');
    assert.equal(
      error.message,
      `two different frames came for byte 1000 of a stream (frame ${pipe.frames.length}): another client with ` +
        "this pipe's credentials wrote into it, and the output may hold its bytes; the output is corrupt",
    );
    assert.equal(await pipe.sender.run.result, 2000);
    await pipe.close();
  });
});
