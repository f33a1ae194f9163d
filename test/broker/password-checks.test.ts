// The rules that bound password checks, with checks that finish when the test says and a clock
// the test moves: which checks run, wait, are shared, or are refused at once, and why.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PASSWORD_CHECK_LIMITS, PasswordChecks } from '../../src/broker/password-checks.js';

/** A password check the test ends: `finish(true)` for a right password. */
class HeldCheck {
  started = false;
  finish: (ok: boolean) => void = () => assert.fail('finished before it started');
  readonly verify = () =>
    new Promise<boolean>((resolve) => {
      this.started = true;
      this.finish = resolve;
    });
}

function checksWith(limits: Partial<typeof DEFAULT_PASSWORD_CHECK_LIMITS>) {
  let time = 0;
  const checks = new PasswordChecks({ ...DEFAULT_PASSWORD_CHECK_LIMITS, ...limits }, () => time);
  return { checks, pass: (ms: number) => (time += ms) };
}

/** Lets every settled promise's reactions run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('password checks', () => {
  it('let a check wait only while its expected wait stays under the limit', async () => {
    // One place, and a check is taken to cost 200 ms until one is timed: five can wait 1 s at most.
    const { checks } = checksWith({ running: 1, longestWaitMs: 1000 });
    const held = Array.from({ length: 7 }, () => new HeldCheck());
    const outcomes = held.map((check, index) =>
      checks.check(`10.0.0.${index}`, `u${index}`, `k${index}`, check.verify),
    );
    assert.equal(await outcomes[6], 'busy');
    assert.deepEqual(
      held.map((check) => check.started),
      [true, false, false, false, false, false, false],
    );
    held[0]!.finish(true);
    await settle();
    assert.equal(held[1]!.started, true);
  });

  it('refuse the waiting checks of a source that just failed, and run the others', async () => {
    const { checks } = checksWith({ running: 1 });
    const [guess, sameAddress, sameName, other] = [new HeldCheck(), new HeldCheck(), new HeldCheck(), new HeldCheck()];
    const outcomes = [
      checks.check('10.0.0.1', 'alice', 'k1', guess.verify),
      checks.check('10.0.0.1', 'bob', 'k2', sameAddress.verify),
      checks.check('10.0.0.2', 'alice', 'k3', sameName.verify),
      checks.check('10.0.0.3', 'carol', 'k4', other.verify),
    ];
    guess.finish(false);
    await settle();
    assert.equal(other.started, true);
    other.finish(true);
    assert.deepEqual(await Promise.all(outcomes), [false, 'slowed-down', 'slowed-down', true]);
    assert.equal(sameAddress.started || sameName.started, false);
  });

  it('do not compute a waiting check whose login has gone', async () => {
    const { checks } = checksWith({ running: 1 });
    const [first, abandoned, next] = [new HeldCheck(), new HeldCheck(), new HeldCheck()];
    const gone = new AbortController();
    const outcomes = [
      checks.check('10.0.0.1', 'alice', 'k1', first.verify),
      checks.check('10.0.0.2', 'bob', 'k2', abandoned.verify, gone.signal),
      checks.check('10.0.0.3', 'carol', 'k3', next.verify),
    ];
    gone.abort();
    first.finish(true);
    await settle();
    assert.equal(abandoned.started, false);
    next.finish(true);
    assert.deepEqual(await Promise.all(outcomes), [true, 'busy', true]);
  });

  it('share one computation between identical logins', async () => {
    const { checks } = checksWith({});
    const [one, two] = [new HeldCheck(), new HeldCheck()];
    const outcomes = [
      checks.check('10.0.0.1', 'fleet', 'k', one.verify),
      checks.check('10.0.0.2', 'fleet', 'k', two.verify),
    ];
    one.finish(true);
    assert.deepEqual(await Promise.all(outcomes), [true, true]);
    assert.equal(two.started, false);
  });

  it('slow a failing source down twice as long after each failure, and forget it after a success', async () => {
    const { checks, pass } = checksWith({ firstDelayMs: 100 });
    const wrong = () => Promise.resolve(false);
    assert.equal(await checks.check('10.0.0.1', 'alice', 'a', wrong), false);
    pass(99);
    assert.equal(await checks.check('10.0.0.1', 'alice', 'b', wrong), 'slowed-down');
    pass(1);
    assert.equal(await checks.check('10.0.0.1', 'alice', 'c', wrong), false);
    pass(199);
    assert.equal(await checks.check('10.0.0.9', 'alice', 'd', wrong), 'slowed-down');
    pass(1);
    assert.equal(await checks.check('10.0.0.1', 'alice', 'e', () => Promise.resolve(true)), true);
    assert.equal(await checks.check('10.0.0.1', 'alice', 'f', wrong), false);
  });
});
