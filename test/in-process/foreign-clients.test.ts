// Foreign clients on a pipe's topics and sessions: a takeover of the mailbox, a wiped session,
// messages that are not frames, a presence record that is not one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { encodeFrame, FRAME_VERSION } from '../../src/protocol/frame.js';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

onEveryBroker((pipes) => {
  pipes.it('takes a consumer whose mailbox session a foreign client took over back, without loss', async () => {
    const receiver = pipes.receive('seized');
    await pipes.consumerAttached('seized');
    const { input, run: sender } = pipes.sendLive('seized');
    input.write('before\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    // Same client id, persistent session: the broker closes the receiver's connection.
    const foreign = await mqtt.connectAsync(pipes.url, {
      protocolVersion: 4,
      clientId: pipes.topics('seized').mailboxClientId,
      clean: false,
      reconnectPeriod: 0,
    });
    // The consumer takes its session back, and the broker closes the foreign connection in turn.
    await until(() => !foreign.connected, 'the consumer to take its session back');
    await foreign.endAsync();
    input.end('after\n');
    assert.equal(await sender.result, 'before\nafter\n'.length);
    await receiver.result;
    assert.equal(receiver.output().toString(), 'before\nafter\n');
  });

  pipes.it('warns when a foreign client wiped the session that held a pipe, and the pipe works on', async () => {
    await pipes.send('lost', 'gone\n').result;
    // A foreign client with the mailbox's client id and a clean session wipes the session.
    const foreign = await mqtt.connectAsync(pipes.url, {
      protocolVersion: 4,
      clientId: pipes.topics('lost').mailboxClientId,
      clean: true,
      reconnectPeriod: 0,
    });
    await foreign.endAsync();
    const sender = pipes.send('lost', 'after\n');
    await sender.result;
    assert.deepEqual(sender.warnings, [
      "the broker had lost the session that holds pipe 'lost' (restarted without durable storage, or the session expired); if anything waited in the pipe, it is gone",
    ]);
    const receiver = pipes.receive('lost');
    await receiver.result;
    assert.equal(receiver.output().toString(), 'after\n');
  });

  pipes.it('skips foreign messages on the data topic with a warning and keeps the stream intact', async () => {
    const topics = pipes.topics('garbage');
    const receiver = pipes.receive('garbage');
    await pipes.consumerAttached('garbage');
    const foreign = await mqtt.connectAsync(pipes.url, { protocolVersion: 4, reconnectPeriod: 0 });
    const future = encodeFrame({
      type: 'data',
      streamId: randomBytes(16),
      seq: 0,
      offset: 0,
      payload: Buffer.from('from the future'),
    });
    future[2] = FRAME_VERSION + 1;
    await foreign.publishAsync(topics.data, randomBytes(100), { qos: 1 });
    await foreign.publishAsync(topics.data, Buffer.from('SP'), { qos: 1 });
    await foreign.publishAsync(topics.data, future, { qos: 1 });
    await foreign.endAsync();
    const data = randomBytes(1_500_000);
    await pipes.send('garbage', data).result;
    await receiver.result;
    assert.ok(receiver.output().equals(data), 'the stream came through intact');
    assert.deepEqual(receiver.warnings, [
      `skipping a message on ${topics.data}: message is not a skypipe frame`,
      `skipping a message on ${topics.data}: 2-byte message is shorter than a frame header`,
      `skipping a message on ${topics.data}: frame format version 2 is not 1: upgrade skypipe on both ends`,
    ]);
  });

  pipes.it('treats a foreign presence record as nobody present, with a warning', async () => {
    const foreign = await mqtt.connectAsync(pipes.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await foreign.publishAsync(pipes.topics('odd-presence').presence, Buffer.from('{not json'), {
      qos: 1,
      retain: true,
    });
    await foreign.endAsync();
    const sender = pipes.send('odd-presence', 'still works\n');
    await sender.result;
    assert.deepEqual(sender.warnings, ['ignoring a foreign message on the presence topic']);
    const receiver = pipes.receive('odd-presence');
    await receiver.result;
    assert.equal(receiver.output().toString(), 'still works\n');
  });
});
