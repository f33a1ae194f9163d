// A fleet of 1,000 boxes with persistent sessions comes back after a broker restart, whether the
// boxes share one user's credentials or each has its own (a thousand password checks, none of them
// remembered across the restart). In-process broker on a real store; stock MQTT.js clients from one
// address, as behind a NAT. Slow, so only the full run has it.
import assert from 'node:assert/strict';
import { randomBytes, scrypt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, describe, it, type TestContext } from 'node:test';
import { DEFAULT_PASSWORD_CHECK_LIMITS } from '../src/broker/password-checks.js';
import { hashPassword, verifyPassword } from '../src/broker/users.js';
import { BrokerDir, type TestBroker } from './broker/in-process-broker.js';
import { Fleet, openFilesLimit, type FleetFigures } from './fleet.js';

const FLEET = 1000;
/** What the fleet may take at most to be back, from the moment the broker listens again… */
const BACK_WITHIN_MS = 30_000;
/** …and how long it is watched, so that the figures say how far it missed. */
const WATCHED_MS = 150_000;
const PASSWORD = 'fleet secret';

const dirs: BrokerDir[] = [];
after(() => dirs.forEach((dir) => dir.remove()));

/**
 * A users file line's hash of PASSWORD at a cost of 2^10, for the boxes' first login only: their
 * sessions must exist before the restart, and a thousand full checks more would only slow the test.
 */
async function cheapHash(): Promise<string> {
  const salt = randomBytes(16);
  const key = await new Promise<Buffer>((resolve, reject) =>
    scrypt(PASSWORD, salt, 32, { N: 1024, r: 8, p: 1 }, (error, derived) => (error ? reject(error) : resolve(derived))),
  );
  return `scrypt:1024:8:1:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** How long the broker takes, here and now, for one full check when it runs as many as it may at once. */
async function fullCheckMs(hash: string): Promise<number> {
  const { running } = DEFAULT_PASSWORD_CHECK_LIMITS;
  const start = performance.now();
  await Promise.all(Array.from({ length: 2 * running }, () => verifyPassword(PASSWORD, hash)));
  return (performance.now() - start) / 2 / running;
}

function report(t: TestContext, shape: string, figures: FleetFigures, checkMs: number): void {
  const refused = [...figures.refusedByCode].map(([code, count]) => `${count} × rc ${code}`).join(', ') || 'none';
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  t.diagnostic(
    `${shape}: all ${FLEET} back ${s(figures.allBackMs)} after the restart; connect p50 ${s(figures.p50Ms)}, ` +
      `p99 ${s(figures.p99Ms)}; refused: ${refused}; closed before a CONNACK: ${figures.closedUnanswered}; ` +
      `peak RSS ${figures.peakRssMiB} MiB; a password check took ${Math.round(checkMs)} ms of a place`,
  );
}

interface Shape {
  name: string;
  users: string[];
  userOf(index: number): string;
}

/**
 * Connects the fleet, stops the broker, starts it again on the same port and data, and measures
 * until every box is back.
 */
async function restartUnderFleet(t: TestContext, shape: Shape): Promise<void> {
  // Each box holds two descriptors in this process, one a side; the store and the runner need some more.
  const needed = 2 * FLEET + 256;
  if (openFilesLimit() < needed) {
    const why = `needs ${needed} open files; raise 'ulimit -n'`;
    // CI must run it: there a low limit is a broken set-up, not a reason to pass.
    if (process.env.CI === 'true') throw new Error(why);
    return t.skip(why);
  }
  const dir = new BrokerDir();
  dirs.push(dir);
  const writeUsers = (hash: string) =>
    writeFileSync(dir.usersFile, shape.users.map((user) => `${user}:${hash}\n`).join(''), { mode: 0o600 });
  writeUsers(await cheapHash());
  let broker: TestBroker = await dir.start();
  const fleet = new Fleet(broker.url, FLEET, shape.userOf, () => PASSWORD);
  try {
    await fleet.allConnected(60_000);
    await fleet.subscribeEach((index) => `u/${shape.userOf(index)}/box-${index}/in`);
    const down = fleet.allDown();
    await broker.close();
    await down;
    // From here every check costs what it does in the field.
    const fullHash = await hashPassword(PASSWORD);
    writeUsers(fullHash);
    // For the report: what the machine gives a check now, a CI run beside it or not.
    const checkMs = await fullCheckMs(fullHash);
    broker = await dir.start({ listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: broker.port }] });
    fleet.since();
    const missing = await fleet.allConnected(WATCHED_MS).then(
      () => null,
      (error: unknown) => error,
    );
    const figures = fleet.figures();
    report(t, shape.name, figures, checkMs);
    if (missing !== null) throw missing;
    assert.ok(figures.allBackMs <= BACK_WITHIN_MS, `back after ${Math.round(figures.allBackMs)} ms`);
    // The sessions outlived the restart: each box's subscription and queue are where it left them.
    assert.equal(figures.sessionsKept, FLEET);
    // Busy ("server unavailable") is the only refusal: no box was told its credentials are wrong.
    assert.deepEqual(
      [...figures.refusedByCode.keys()].filter((code) => code !== 3),
      [],
    );
  } finally {
    fleet.close();
    await broker.close();
  }
}

describe('a fleet reconnecting after a broker restart', { timeout: 300_000 }, () => {
  it('is back within 30 s when every box logs in as the same user', (t) =>
    restartUnderFleet(t, {
      name: 'one user',
      users: ['fleet'],
      // One check for the fleet (they share it), then the remembered password.
      userOf: () => 'fleet',
    }));

  it('is back within 30 s when each box logs in as a user of its own', (t) => {
    const name = (index: number) => `box-${String(index).padStart(4, '0')}`;
    return restartUnderFleet(t, {
      name: 'a user per box',
      users: Array.from({ length: FLEET }, (_, index) => name(index)),
      userOf: name,
    });
  });
});
