// Wills cannot reach into another user's pipes: not at CONNECT, and not when a broker that died
// publishes the Wills it had stored. The broker runs in-process (real aedes, real store on disk)
// with a short heartbeat, so that stored Wills come out in a second instead of four minutes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../src/broker/server.js';
import { hashPassword, UserDirectory } from '../src/broker/users.js';
import { readRetained } from '../src/client/transport/retained.js';
import { pipeTopics, topicRoot } from '../src/protocol/topics.js';
import { until } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'skypipe-wills-'));
const dataDir = join(dir, 'data');
const usersFile = join(dir, 'users');
const alicePresence = pipeTopics('inbox', topicRoot(undefined, 'alice')!).presence;
const bobPresence = pipeTopics('inbox', topicRoot(undefined, 'bob')!).presence;

async function start(): Promise<RunningBroker> {
  return startBroker({
    listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0 }],
    tls: null,
    storage: { kind: 'disk', dataDir },
    access: {
      users: new UserDirectory(usersFile, new Map()),
      anonymous: false,
      maxConnectionsPerUser: null,
      maxBytesPerUser: null,
    },
    limits: { maximumPacketSize: 1024 * 1024 },
    version: 'test',
    http: null,
    logLevel: 'silent',
    heartbeatIntervalMs: 100,
  });
}

const connectAs = (url: string, user: string, options: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `${user}-client`,
    username: user,
    password: `${user} secret`,
    reconnectPeriod: 0,
    ...options,
  });

describe('Wills', { timeout: 30_000 }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a CONNECT whose Will is in another user's namespace, and takes one in the user's own", async () => {
    writeFileSync(usersFile, `alice:${await hashPassword('alice secret')}\nbob:${await hashPassword('bob secret')}\n`, {
      mode: 0o600,
    });
    const broker = await start();
    try {
      const url = broker.listeners[0]!.url;
      await assert.rejects(
        connectAs(url, 'bob', { will: { topic: alicePresence, payload: Buffer.alloc(0), qos: 1, retain: true } }),
        (error: Error & { code?: number }) => error.code === 5,
      );
      const own = await connectAs(url, 'bob', {
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
    const db = new Level(dataDir);
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
      const url = broker.listeners[0]!.url;
      const retained = async (user: string, topic: string) => {
        const client = await connectAs(url, user, { clientId: `${user}-reader` });
        try {
          const echo = `${topicRoot(undefined, user)}/echo`;
          return (await readRetained(client, topic, echo))?.toString() ?? null;
        } finally {
          await client.endAsync();
        }
      };
      // The broker beats every 100 ms and publishes stored Wills every fourth beat.
      await until(async () => (await retained('bob', bobPresence)) === 'bob was here', "bob's own Will");
      assert.equal(await retained('alice', alicePresence), null);
    } finally {
      await broker.close();
    }
  });
});
