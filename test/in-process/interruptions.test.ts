// Ends that go away mid-stream: a sender interrupted, a sender killed (its connection gone without a
// word, so its Will fires), a receiver killed; and ends interrupted while they connect.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

onEveryBroker((pipes) => {
  pipes.it('marks a stream incomplete when its sender is interrupted', async () => {
    const receiver = pipes.receive('cut');
    await pipes.consumerAttached('cut');
    const { input, run: sender } = pipes.sendLive('cut');
    input.write('partial line\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    sender.abort();
    assert.equal((await sender.failure()).kind, 'interrupted');
    assert.deepEqual(sender.warnings, []);
    const error = await receiver.failure();
    assert.equal(error.kind, 'incomplete');
    assert.equal(receiver.output().toString(), 'partial line\n');
    assert.equal(
      error.message,
      'the sender stopped before the end of its stream (interrupted) after 13 bytes; the output is incomplete',
    );
  });

  pipes.it('reports a stream incomplete when its sender is killed, and the pipe works on', async () => {
    // On the other brokers, 3 s as the process test gave with --sender-timeout 3 (5 minutes by default).
    const receiver = pipes.receive('orphan', { timings: { senderTimeoutMs: pipes.timings.senderTimeoutMs ?? 3000 } });
    await pipes.consumerAttached('orphan');
    const proxy = await pipes.proxy();
    const { input, run: sender } = pipes.sendLive('orphan', { via: proxy });
    input.write('first line\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    // Killed: its connection drops without a DISCONNECT, and it never comes back.
    proxy.cut(Infinity);
    sender.abort();
    const error = await receiver.failure();
    assert.equal(error.kind, 'incomplete');
    assert.equal(receiver.output().toString(), 'first line\n');
    assert.match(
      error.message,
      /^the sender lost its connection and has not come back for \d+ s after 11 bytes of its stream; the output is incomplete$/,
    );
    assert.equal((await sender.failure()).kind, 'interrupted');
    await pipes.send('orphan', 'next\n').result;
    const next = pipes.receive('orphan');
    await next.result;
    assert.equal(next.output().toString(), 'next\n');
  });

  pipes.it('gives the next receiver exactly what a killed receiver did not write', async () => {
    const first = randomBytes(3 * 1024 * 1024 + 123);
    const second = randomBytes(2 * 1024 * 1024 + 7);
    const progress = await pipes.watchProgress('killed');
    try {
      const { input, run: sender } = pipes.sendLive('killed');
      input.write(first);
      const proxy = await pipes.proxy();
      const receiver = pipes.receive('killed', { via: proxy });
      await until(() => receiver.output().length === first.length, 'the first part at the receiver');
      // It has told the broker how far it got: the next receiver starts there.
      await progress.recorded(first.length);
      proxy.cut(Infinity);
      receiver.abort();
      assert.equal((await receiver.failure()).kind, 'interrupted');
      input.end(second);
      assert.equal(await sender.result, first.length + second.length);
      const next = pipes.receive('killed');
      await next.result;
      assert.match(
        next.warnings.join('\n'),
        new RegExp(`continuing a stream at byte ${first.length}, where an earlier receiver of pipe 'killed' stopped`),
      );
      assert.ok(
        Buffer.concat([receiver.output(), next.output()]).equals(Buffer.concat([first, second])),
        `${receiver.output().length} + ${next.output().length} bytes`,
      );
    } finally {
      await progress.close();
    }
  });

  pipes.it('ends a receive and a send interrupted while they connect, the pipe untouched', async () => {
    // At once, and once a connection is under way (an abort before the first one is made was missed).
    for (const later of [false, true]) {
      const receiver = pipes.receive('early-abort');
      const sender = pipes.send('early-abort', 'never sent\n');
      if (later) await new Promise((resolve) => setImmediate(resolve));
      receiver.abort();
      sender.abort();
      assert.equal((await receiver.failure()).kind, 'interrupted');
      assert.equal((await sender.failure()).kind, 'interrupted');
      assert.deepEqual(receiver.output(), Buffer.alloc(0));
    }
    await pipes.send('early-abort', 'after\n').result;
    const next = pipes.receive('early-abort');
    await next.result;
    assert.equal(next.output().toString(), 'after\n');
  });
});
