// Several broker instances on one Redis: they share sessions, retained messages and routing, so a
// pipe works across them and what waits in it outlives the instance it came through.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it, before, after } from 'node:test';
import { missingBroker } from './brokers.js';
import { consumerAttached, ForegroundBroker, freePort, Sky, sleep } from './harness.js';

const installed = spawnSync('redis-server', ['--version']).status === 0;

describe('two broker instances on one Redis', () => {
  if (!installed) {
    missingBroker('the Redis test', 'redis-server', 'redis-server is not installed');
    return;
  }
  const sky = new Sky();
  let redis: ChildProcess;
  let first: ForegroundBroker;
  let second: ForegroundBroker;

  before(async () => {
    const port = await freePort();
    // In memory only: the brokers come and go here, not Redis.
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', sky.dir],
      { stdio: 'ignore' },
    );
    const url = `redis://127.0.0.1:${port}`;
    first = new ForegroundBroker(sky, null, ['--redis', url]);
    second = new ForegroundBroker(sky, null, ['--redis', url]);
    for (let tries = 0; ; tries++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
      if (tries > 100) throw new Error('redis-server did not answer');
      await sleep(100);
    }
    await first.start();
    await second.start();
  });
  after(async () => {
    for (const broker of [first, second]) if (broker.running) await broker.kill('SIGTERM');
    redis.kill('SIGTERM');
    await sky.close();
  });

  it('carries a stream sent through one instance to a receiver on the other', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 3);
    const receiver = sky.start(['recv', 'across', '--url', second.url]);
    await consumerAttached(second.url, 'across');
    const sent = await sky.run(['send', 'across', '--url', first.url], { input: data });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await receiver.result;
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), `byte for byte (${received.stdout.length} of ${data.length} bytes)`);
  });

  it('keeps what was buffered through an instance killed with SIGKILL, for a receiver on the other', async () => {
    const streams = [randomBytes(3 * 1024 * 1024 + 1), Buffer.from('the second stream\n')];
    for (const data of streams) {
      const sent = await sky.run(['send', 'survivor', '--url', first.url], { input: data });
      assert.equal(sent.code, 0, sent.stderr);
    }
    await first.kill('SIGKILL');
    for (const [index, data] of streams.entries()) {
      const received = await sky.run(['recv', 'survivor', '--url', second.url]);
      assert.equal(received.code, 0, received.stderr);
      assert.ok(
        received.stdout.equals(data),
        `stream ${index + 1}, byte for byte (${received.stdout.length} of ${data.length} bytes)`,
      );
    }
  });
});
