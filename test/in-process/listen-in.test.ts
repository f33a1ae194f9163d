// Receivers that listen in on a pipe another receiver consumes: they get a copy and take nothing away.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

onEveryBroker((pipes) => {
  pipes.it('lets a second receiver listen in while the first consumes', async () => {
    const consumer = pipes.receive('shared');
    await pipes.consumerAttached('shared');
    const listener = pipes.receive('shared');
    await until(() => listener.statuses.some((status) => status.includes('listening in')), 'the listener');
    const data = randomBytes(3_000_000);
    assert.equal(await pipes.send('shared', data).result, data.length);
    await Promise.all([consumer.result, listener.result]);
    assert.ok(consumer.output().equals(data), `the consumer got the stream (${consumer.output().length} bytes)`);
    assert.ok(
      listener.output().equals(data),
      `the listener got a copy (${listener.output().length} bytes): ${listener.warnings.join('; ')}`,
    );
    // The listener took nothing away: nothing is left in the pipe.
    await pipes.send('shared', 'after\n').result;
    const next = pipes.receive('shared');
    await next.result;
    assert.equal(next.output().toString(), 'after\n');
  });

  pipes.it('lets a listener that joins mid-stream start where it joins, and leaves the stream whole', async () => {
    const consumer = pipes.receive('joined');
    await pipes.consumerAttached('joined');
    const { input, run: sender } = pipes.sendLive('joined');
    input.write('line 1\n');
    await until(() => consumer.output().length > 0, 'the first line at the consumer');
    const listener = pipes.receive('joined');
    await until(() => listener.statuses.some((status) => status.includes('listening in')), 'the listener');
    input.end('line 2\n');
    await sender.result;
    await Promise.all([consumer.result, listener.result]);
    assert.equal(consumer.output().toString(), 'line 1\nline 2\n');
    assert.equal(listener.output().toString(), 'line 2\n');
    assert.deepEqual(listener.warnings, ['listening in from byte 7 of a stream']);
  });
});
