// Wills cannot reach into another user's pipes: not at CONNECT, and not when a broker that died
// publishes the Wills it had stored. The broker runs in-process (real aedes, real store on disk)
// with a short heartbeat, so that stored Wills come out in a second instead of four minutes.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import { readRetained } from '../../src/client/transport/retained.js';
import { pipeTopics, topicRoot } from '../../src/protocol/topics.js';
import { BrokerDir } from './in-process-broker.js';
import { until } from '../harness.js';

const brokers = new BrokerDir();
const alicePresence = pipeTopics('inbox', topicRoot(undefined, 'alice')!).presence;
const bobPresence = pipeTopics('inbox', topicRoot(undefined, 'bob')!).presence;
/** The broker beats every 100 ms and publishes the Wills a dead broker stored every fourth beat. */
const start = () => brokers.start({ heartbeatIntervalMs: 100 });

describe('Wills', { timeout: 30_000 }, () => {
  after(() => brokers.remove());

  it("refuses a CONNECT whose Will is in another user's namespace, and takes one in the user's own", async () => {
    await brokers.writeUsers(['alice', 'bob']);
    const broker = await start();
    try {
      await assert.rejects(
        broker.connectAs('bob', {
          clientId: 'bob-forger',
          will: { topic: alicePresence, payload: Buffer.alloc(0), qos: 1, retain: true },
        }),
        (error: Error & { code?: number }) => error.code === 5,
      );
      const own = await broker.connectAs('bob', {
        clientId: 'bob-own-will',
        will: { topic: bobPresence, payload: Buffer.alloc(0), qos: 1, retain: true },
      });
      await own.endAsync();
    } finally {
      await broker.close();
    }
  });

  it("never publishes a stored Will into another user's namespace after a restart, and publishes one in its own", async () => {
    // What a broker that died had stored: one Will into alice's pipe, planted by bob's session, and
    // one into bob's own.
    const db = new Level(brokers.dataDir);
    await db.open();
    const store = aedesPersistenceLevel(db);
    await store.setup({ id: 'a-broker-that-died' });
    const will = (topic: string, payload: string) => ({
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      retain: true,
    });
    await store.putWill({ id: 'bob:forger' }, will(alicePresence, '{"id":"forged","host":"x","pid":1}'));
    await store.putWill({ id: 'bob:own' }, will(bobPresence, 'bob was here'));
    await db.close();

    const broker = await start();
    try {
      const retained = async (user: string, topic: string) => {
        const client = await broker.connectAs(user, { clientId: `${user}-reader` });
        try {
          const echo = `${topicRoot(undefined, user)}/echo`;
          return (await readRetained(client, topic, echo))?.toString() ?? null;
        } finally {
          await client.endAsync();
        }
      };
      await until(async () => (await retained('bob', bobPresence)) === 'bob was here', "bob's own Will");
      assert.equal(await retained('alice', alicePresence), null);
    } finally {
      await broker.close();
    }
  });
});
