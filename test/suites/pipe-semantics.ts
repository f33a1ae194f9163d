// What a pipe promises, whatever the broker: names, and the order of buffered streams whatever the
// senders' clocks say. Races and interruptions are in the in-process tier (test/in-process/).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLOCK_OFFSET, type Sky } from '../harness.js';
import type { TestFn } from '../brokers.js';

export function pipeSemantics(sky: Sky, test: TestFn): void {
  test('keeps every name apart: empty, slashes, wildcards, unicode, 1,000 bytes', async () => {
    const names = ['a/b', 'a%2Fb', '+', '#', 'spaces in name', 'ünï cøde ☁', 'x'.repeat(1000)];
    for (const name of names) assert.equal((await sky.run(['send', name], { input: `for ${name}\n` })).code, 0);
    for (const name of [...names].reverse()) {
      const received = await sky.run(['recv', name]);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(received.stdout.toString(), `for ${name}\n`);
    }
    const sent = await sky.shell('echo default | $SKYPIPE').result;
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal((await sky.run(['recv'])).stdout.toString(), 'default\n');
  });

  test("gives buffered streams in the order the broker got them, whatever the senders' clocks say", async () => {
    const HOUR = 3_600_000;
    const skewed = (offset: number) => ({
      NODE_OPTIONS: `--import=${CLOCK_OFFSET}`,
      SKYPIPE_TEST_CLOCK_OFFSET_MS: String(offset),
    });
    const probe = spawnSync(process.execPath, ['-p', 'Date.now() - performance.timeOrigin - performance.now()'], {
      env: { ...process.env, ...skewed(-HOUR) },
      encoding: 'utf8',
    });
    assert.ok(
      Math.abs(Number(probe.stdout) + HOUR) < 60_000,
      `the preload moves the clock an hour back (${probe.stdout.trim()} ms)`,
    );
    const streams = [
      ['an hour ahead', HOUR],
      ['an hour behind', -HOUR],
      ['on time', 0],
    ] as const;
    for (const [label, offset] of streams) {
      const sent = await sky.run(['send', 'clocks'], { input: `${label}\n`, env: skewed(offset) });
      assert.equal(sent.code, 0, sent.stderr);
    }
    for (const [label] of streams) {
      const received = await sky.run(['recv', 'clocks']);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(received.stdout.toString(), `${label}\n`);
    }
  });
}
