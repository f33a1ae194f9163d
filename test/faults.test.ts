// Faults between skypipe and its broker: a network cut for 10 s on either side mid-stream.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { skyWithBroker, sleep, until, type Running } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

/** Feeds `data` to a sender in 1 MiB pieces, 100 ms apart, so that a stream lasts a while. */
async function feedSlowly(sender: Running, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 1024 * 1024) {
    sender.child.stdin!.write(data.subarray(at, at + 1024 * 1024));
    await sleep(100);
  }
  sender.child.stdin!.end();
}

describe('network faults', () => {
  const { sky, broker } = skyWithBroker();
  let proxy: TcpProxy;
  before(async () => {
    proxy = await TcpProxy.start(broker.port);
  });
  after(() => proxy.close());

  for (const side of ['sender', 'receiver'] as const) {
    it(`completes a stream byte for byte when the ${side}'s connection is cut for 10 s`, async () => {
      const data = randomBytes(24 * 1024 * 1024 + 5);
      const name = `cut-${side}`;
      const receiver = sky.start(['recv', name, '--url', side === 'receiver' ? proxy.url : broker.url]);
      await sleep(700);
      const sender = sky.start(['send', name, '--url', side === 'sender' ? proxy.url : broker.url], { input: 'pipe' });
      const feeding = feedSlowly(sender, data);
      await until(() => receiver.output().length >= 6 * 1024 * 1024, 'the first 6 MiB at the receiver');
      proxy.cut(10_000);
      await feeding;
      const [sent, received] = [await sender.result, await receiver.result];
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(received.stdout.length, data.length);
      assert.ok(received.stdout.equals(data), 'the stream arrived byte for byte');
    });
  }

  it('completes a live stream byte for byte when the broker is killed with SIGKILL and restarted', async () => {
    const data = randomBytes(24 * 1024 * 1024 + 9);
    const receiver = sky.start(['recv', 'crash', '--url', broker.url]);
    await sleep(700);
    const sender = sky.start(['send', 'crash', '--url', broker.url], { input: 'pipe' });
    const feeding = feedSlowly(sender, data);
    await until(() => receiver.output().length >= 6 * 1024 * 1024, 'the first 6 MiB at the receiver');
    await broker.kill('SIGKILL');
    await sleep(1000);
    await broker.start();
    await feeding;
    const [sent, received] = [await sender.result, await receiver.result];
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), `the stream arrived byte for byte (${received.stdout.length} of ${data.length} bytes)`);
  });

  it('reports a stream incomplete when its sender is killed with SIGKILL, and the pipe works on', async () => {
    const receiver = sky.start(['recv', 'orphan', '--url', broker.url, '--sender-timeout', '3']);
    await sleep(700);
    const sender = sky.start(['send', 'orphan', '--url', broker.url], { input: 'pipe' });
    sender.child.stdin!.write('first line\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    sender.child.kill('SIGKILL');
    const received = await receiver.result;
    assert.equal(received.code, 3);
    assert.equal(received.stdout.toString(), 'first line\n');
    assert.match(received.stderr, /^skypipe: the sender lost its connection and has not come back for \d+ s after 11 bytes of its stream; the output is incomplete\n$/);
    assert.equal((await sky.run(['send', 'orphan', '--url', broker.url], { input: 'next\n' })).code, 0);
    const next = await sky.run(['recv', 'orphan', '--url', broker.url]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.stdout.toString(), 'next\n');
  });
});
