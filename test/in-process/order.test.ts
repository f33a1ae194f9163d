// Buffered streams come out in the order the broker queued them, one per receive.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

onEveryBroker((pipes) => {
  pipes.it('gives buffered streams one per receive, in the order they were sent', async () => {
    const streams = [Buffer.from('first\n'), randomBytes(3 * 1024 * 1024 + 5), Buffer.alloc(0), Buffer.from('last\n')];
    for (const data of streams) assert.equal(await pipes.send('fifo', data).result, data.length);
    for (const [index, data] of streams.entries()) {
      const receiver = pipes.receive('fifo');
      await receiver.result;
      assert.deepEqual(receiver.warnings, []);
      assert.ok(receiver.output().equals(data), `stream ${index}: ${receiver.output().length} of ${data.length} bytes`);
    }
  });

  pipes.it(
    'writes nothing of later streams before a stream queued ahead of them whose sender still sends',
    async () => {
      const { input, run: first } = pipes.sendLive('ahead');
      input.write('first stream, part 1\n');
      await until(() => first.accepted > 0, 'the broker to hold the first part');
      // These senders find the first stream queued ahead of theirs, and say so in their first frames.
      for (const text of ['second stream\n', 'third stream\n']) await pipes.send('ahead', text).result;
      input.end('first stream, part 2\n');
      await first.result;
      // A receive writes the streams whose frames come while its first one is open, in the broker's
      // order; what it leaves is the next receive's. How far each gets depends on the broker's pace.
      const expected = ['first stream, part 1', 'second stream', 'third stream', 'first stream, part 2'];
      const lines: string[] = [];
      while (lines.length < expected.length) {
        const receiver = pipes.receive('ahead');
        await receiver.result;
        assert.deepEqual(receiver.warnings, []);
        lines.push(...receiver.output().toString().split('\n').slice(0, -1));
      }
      assert.deepEqual([...lines].sort(), [...expected].sort(), 'every line once');
      const at = (line: string) => lines.indexOf(line);
      assert.ok(at('first stream, part 1') < at('second stream'), lines.join(' | '));
      assert.ok(at('second stream') < at('third stream'), lines.join(' | '));
      assert.ok(at('first stream, part 1') < at('first stream, part 2'), lines.join(' | '));
    },
    {
      nats: 'on NATS the first part of the stream queued ahead did not come within the 45 s a later stream waits (NATS sends the frames a mailbox check was handed again only after its ack_wait), and the later streams went first, with a warning',
    },
  );
});
