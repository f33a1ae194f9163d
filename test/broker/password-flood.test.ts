// Wrong passwords do not stop the broker: a flood of them from one address is mostly refused at
// once, cheaply, while users from elsewhere (cached or not) log in; an unknown user name is answered
// as a wrong password is. Raw CONNECTs from their own loopback address; in-process broker.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_PASSWORD_CHECK_LIMITS } from '../../src/broker/password-checks.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { connectPacket } from './raw-mqtt.js';

const brokers = new BrokerDir();
let broker: TestBroker;

/** Logs in from `from` (a loopback address): the CONNACK's return code, or null if closed without one. */
function login(from: string, clientId: string, username: string, password: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect({ port: broker.port, host: '127.0.0.1', localAddress: from });
    let answer = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      answer = Buffer.concat([answer, chunk]);
      if (answer.length >= 4) {
        resolve(answer[3]!);
        socket.destroy();
      }
    });
    socket.on('close', () => resolve(null));
    socket.write(connectPacket(clientId, username, password));
  });
}

const ACCEPTED = 0;
const UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;

describe('a flood of wrong passwords', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice', 'bob', 'carol']);
    // A first pause of 2 s: long enough that the next attempt surely comes within it, however busy the machine.
    broker = await brokers.start({}, { passwordChecks: { ...DEFAULT_PASSWORD_CHECK_LIMITS, firstDelayMs: 2000 } });
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('is refused at once after the first failures, while other users log in', async () => {
    // bob's password is checked once before the flood; carol's never is.
    assert.equal(await login('127.0.0.1', 'bob-box', 'bob', 'bob secret'), ACCEPTED);
    const answers: (number | null)[] = [];
    const attack = Array.from({ length: 16 }, async (_, loop) => {
      for (let attempt = 0; attempt < 40; attempt++)
        answers.push(await login('127.0.0.2', `flood-${loop}`, 'alice', `guess ${attempt}`));
    });
    const legitimate = (async () => {
      const seen: (number | null)[] = [];
      for (let round = 0; round < 5; round++) seen.push(await login('127.0.0.1', 'bob-box', 'bob', 'bob secret'));
      seen.push(await login('127.0.0.3', 'carol-box', 'carol', 'carol secret'));
      return seen;
    })();
    const [served] = await Promise.all([legitimate, ...attack]);
    assert.deepEqual(served, [ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED]);
    assert.equal(answers.length, 640);
    const checked = answers.filter((code) => code === BAD_CREDENTIALS).length;
    const refusedAtOnce = answers.filter((code) => code === UNAVAILABLE).length;
    assert.equal(checked + refusedAtOnce, 640, `every attempt answered: ${answers.join(',')}`);
    // The first 16 run together; after them, each failure makes the address and the name wait
    // twice as long: a handful more are checked while the flood runs.
    assert.ok(checked <= 32, `${checked} checked, ${refusedAtOnce} refused at once`);
  });

  it('answers an unknown user name as it answers a wrong password', async () => {
    assert.equal(await login('127.0.0.4', 'who-box', 'nobody', 'anything'), BAD_CREDENTIALS);
    assert.equal(await login('127.0.0.5', 'bob-box', 'bob', 'wrong'), BAD_CREDENTIALS);
    // And both are slowed down alike after it.
    assert.equal(await login('127.0.0.4', 'who-box', 'nobody', 'anything'), UNAVAILABLE);
    assert.equal(await login('127.0.0.5', 'bob-box', 'bob', 'wrong'), UNAVAILABLE);
  });
});
