// What the pipe keeps within its capacity: a full pipe blocks its sender, and broker memory stays bounded.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { pipeTopics } from '../src/protocol/topics.js';
import { watchFrames } from './frame-watch.js';
import { consumerAttached, SLOW_READER, skyWithBroker, sleep } from './harness.js';

describe('flow control', () => {
  const { sky, broker } = skyWithBroker();

  it('blocks a sender at the pipe capacity until a receiver reads', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const frames = await watchFrames(broker.url, pipeTopics('full').data);
    const sender = sky.start(['send', 'full', '--capacity', '1M', '--url', broker.url], { input: data });
    try {
      // One frame of up to 1 MiB fills the pipe.
      await frames.sent(1);
      // A sender that did not wait would send the other 5 MiB within this.
      await sleep(1000);
    } finally {
      await frames.close();
    }
    assert.equal(sender.child.exitCode, null, 'the sender waits while the pipe is full');
    const received = await sky.run(['recv', 'full', '--url', broker.url]);
    const sent = await sender.result;
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data));
  });

  it('keeps broker memory bounded behind a receiver 10 times slower than its sender', async () => {
    const size = 96 * 1024 * 1024;
    const chunk = randomBytes(1024 * 1024);
    const expected = createHash('sha256');
    for (let i = 0; i < 96; i++) expected.update(chunk);
    const baseline = broker.rss();
    const receiver = sky.shell(
      `$SKYPIPE recv slow --url ${broker.url} | ${process.execPath} ${SLOW_READER} ${8 * 1024 * 1024}`,
    );
    await consumerAttached(broker.url, 'slow');
    const sender = sky.start(['send', 'slow', '--capacity', '4M', '--url', broker.url], { input: 'pipe' });
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, broker.rss())), 100);
    void (async () => {
      for (let i = 0; i < 96; i++) {
        if (!sender.child.stdin!.write(chunk))
          await new Promise((resolve) => sender.child.stdin!.once('drain', resolve));
      }
      sender.child.stdin!.end();
    })();
    const [sent, received] = await Promise.all([sender.result, receiver.result]);
    clearInterval(sampler);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), `${expected.digest('hex')} ${size}\n`);
    // Measured here: about 90 MiB of growth (heap and store caches) with a 4 MiB capacity, and
    // 370 MiB when the capacity lets the whole stream pile up in the broker.
    const growth = peak - baseline;
    assert.ok(growth < 200 * 1024 * 1024, `broker grew by ${(growth / 1048576).toFixed(0)} MiB`);
  });
});
