// What a pipe promises, whatever the broker: names, races between receivers and senders, interruptions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { CLOCK_OFFSET, type Sky, sleep, until } from '../harness.js';
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

  test('gives buffered data to exactly one of two receivers started together', async () => {
    // Several rounds: how a takeover interleaves with the frames in flight differs from run to run.
    for (let round = 0; round < 4; round++) {
      const data = randomBytes(4 * 1024 * 1024 + round);
      assert.equal((await sky.run(['send', `race${round}`], { input: data })).code, 0);
      const receivers = [sky.start(['recv', `race${round}`]), sky.start(['recv', `race${round}`])];
      const winner = await Promise.race(receivers.map((receiver, index) => receiver.result.then(() => index)));
      const loser = receivers[1 - winner]!;
      await sleep(500);
      assert.equal(loser.child.exitCode, null, `round ${round}: the other receiver listens in, waiting`);
      loser.child.kill('SIGINT');
      const [won, lost] = [await receivers[winner]!.result, await loser.result];
      assert.equal(won.code, 0, `round ${round}: ${won.stderr}`);
      assert.ok(
        won.stdout.equals(data),
        `round ${round}: the consumer wrote the whole stream (${won.stdout.length} bytes)`,
      );
      assert.equal(lost.code, 130);
      assert.equal(lost.stdout.length, 0);
    }
  });

  test('delivers exactly once when a sender and a receiver start at the same instant', async () => {
    for (let round = 0; round < 5; round++) {
      const data = randomBytes(2 * 1024 * 1024 + round);
      const receiver = sky.start(['recv', `together${round}`]);
      const sender = sky.start(['send', `together${round}`], { input: data });
      const [sent, received] = [await sender.result, await receiver.result];
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(received.stderr, '');
      assert.ok(received.stdout.equals(data), `round ${round}: ${received.stdout.length} of ${data.length} bytes`);
    }
  });

  test('marks a stream incomplete when its sender is interrupted', async () => {
    const receiver = sky.start(['recv', 'cut']);
    await sleep(700);
    const sender = sky.start(['send', 'cut'], { input: 'pipe' });
    sender.child.stdin!.write('partial line\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    sender.child.kill('SIGINT');
    const [sent, received] = [await sender.result, await receiver.result];
    assert.equal(sent.code, 130);
    assert.equal(sent.stderr, '');
    assert.equal(received.code, 3);
    assert.equal(received.stdout.toString(), 'partial line\n');
    assert.equal(
      received.stderr,
      'skypipe: the sender stopped before the end of its stream (interrupted) after 13 bytes; the output is incomplete\n',
    );
  });
}
