// A receive without --follow while several senders are live (README, "Log aggregation"): it ends
// with the stream it began with, writes the whole lines of the others that came meanwhile, and
// leaves the rest of them to the next receive, which says where it continues.
import assert from 'node:assert/strict';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

onEveryBroker((pipes) => {
  pipes.it('ends with its first stream and leaves the rest of the others to the next receive', async () => {
    const first = pipes.sendLive('aggregate');
    first.input.write('a1\n');
    await until(() => first.run.accepted > 0, 'the first stream to be in the pipe');
    const receiver = pipes.receive('aggregate');
    await until(() => receiver.output().toString() === 'a1\n', 'the first line');
    const other = pipes.sendLive('aggregate');
    other.input.write('b1\n');
    await until(() => receiver.output().toString().includes('b1\n'), "the other sender's line");
    first.input.end('a2\n');
    await first.run.result;
    await receiver.result;
    assert.equal(receiver.output().toString(), 'a1\nb1\na2\n');
    assert.deepEqual(receiver.warnings, []);

    other.input.end('b2\n');
    await other.run.result;
    const next = pipes.receive('aggregate');
    await next.result;
    assert.equal(next.output().toString(), 'b2\n');
    assert.deepEqual(next.warnings, [
      "continuing a stream at byte 3, where an earlier receiver of pipe 'aggregate' stopped",
    ]);
  });
});
