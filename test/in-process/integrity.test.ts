// Streams arrive byte for byte: large ones, ones in many small frames, empty ones.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { onEveryBroker } from './pipes.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

onEveryBroker((pipes) => {
  pipes.it('carries a 16 MiB random stream byte for byte, live', async () => {
    const data = randomBytes(16 * 1024 * 1024 + 3);
    const receiver = pipes.receive('big');
    await pipes.consumerAttached('big');
    assert.equal(await pipes.send('big', data).result, data.length);
    await receiver.result;
    assert.deepEqual(receiver.warnings, []);
    assert.equal(sha256(receiver.output()), sha256(data));
  });

  pipes.it(
    'carries a stream cut into 1 KiB frames, from input that comes in small pieces',
    async () => {
      const data = randomBytes(300_000);
      const pieces = Array.from({ length: Math.ceil(data.length / 777) }, (_, n) =>
        data.subarray(n * 777, n * 777 + 777),
      );
      const sender = pipes.send('small', Readable.from(pieces), { settings: { frameBytes: 1024 } });
      // Received as it goes: a sender stops at 200 unread frames.
      const receiver = pipes.receive('small');
      assert.equal(await sender.result, data.length);
      await receiver.result;
      assert.deepEqual([sender.warnings, receiver.warnings], [[], []]);
      assert.ok(receiver.output().equals(data), `${receiver.output().length} of ${data.length} bytes`);
    },
    {
      nats: "on a busy machine NATS at times keeps this 300-frame stream from finishing within the test's 240 s (it sends frames a closed connection held only after its ack_wait); it passes alone",
    },
  );

  pipes.it('carries an empty stream', async () => {
    assert.equal(await pipes.send('empty', '').result, 0);
    const receiver = pipes.receive('empty');
    await receiver.result;
    assert.equal(receiver.output().length, 0);
  });
});
