import { mkdirSync } from 'node:fs';
import aedesPersistenceLevel from 'aedes-persistence-level';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import { Level } from 'level';
import mqemitterRedis from 'mqemitter-redis';
import { lookUpExactRetainedTopics } from './exact-retained-lookup.js';
import { QueuedBytes } from './queued-bytes.js';
import { queuedMessagesBySession } from './queued-messages.js';

/** Where the broker keeps sessions, queued frames and retained messages, and how instances share routing. */
export interface Storage {
  /** For aedes. */
  persistence: unknown;
  /** For aedes: the emitter that routes messages between instances (null: in this process only). */
  mq: unknown;
  /** Messages queued per persistent session, where the store can count them. */
  queued: (() => Promise<Map<string, number>>) | null;
  /** Bytes queued per user, where the store can count them (for --max-bytes-per-user). */
  queuedBytes: QueuedBytes | null;
  /** For messages: the data directory, or the Redis server. */
  where: string;
  close(): Promise<void>;
}

export type StorageSettings = { kind: 'disk'; dataDir: string } | { kind: 'redis'; url: string };

/** The disk: a Level database in the data directory, which one broker process holds at a time. */
async function openDisk(dataDir: string): Promise<Storage> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String((error as Error).message) + String(cause)) ? 'another broker is using it' : (error as Error).message;
    throw new Error(`cannot open the data directory ${dataDir}: ${reason}`);
  }
  const persistence = aedesPersistenceLevel(db);
  lookUpExactRetainedTopics(persistence, db);
  const queuedBytes = await QueuedBytes.follow(persistence, db);
  return { persistence, mq: null, queued: () => queuedMessagesBySession(db), queuedBytes, where: dataDir, close: () => db.close() };
}

/** ioredis options from a redis:// or rediss:// URL (user, password, host, port, database number). */
export function redisOptions(raw: string): Record<string, unknown> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`'${raw}' is not a Redis URL; use redis://[USER:PASSWORD@]HOST[:PORT][/DB]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`'${raw}' is not a Redis URL; use redis://[USER:PASSWORD@]HOST[:PORT][/DB]`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`'${db}' in the Redis URL is not a database number`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Gives up on a command after a few tries instead of queueing it forever while Redis is away.
    maxRetriesPerRequest: 20,
  };
}

/**
 * Redis: sessions, queued frames and retained messages in Redis, and messages routed through its
 * pub/sub, so that several broker instances serve the same pipes.
 */
async function openRedis(raw: string): Promise<Storage> {
  const options = redisOptions(raw);
  // -1: a session gets every message queued for it on connect (the default, 1,000, would strand the rest).
  const persistence = aedesPersistenceRedis({ ...options, maxSessionDelivery: -1 });
  const mq = mqemitterRedis(options);
  const shown = raw.replace(/\/\/[^@/]*@/, '//***@');
  return {
    persistence,
    mq,
    queued: null,
    queuedBytes: null,
    where: shown,
    close: async () => {
      await new Promise<void>((resolve) => mq.close(() => resolve()));
      await new Promise<void>((resolve) => (persistence as { destroy(callback: () => void): void }).destroy(() => resolve()));
    },
  };
}

export function openStorage(settings: StorageSettings): Promise<Storage> {
  return settings.kind === 'disk' ? openDisk(settings.dataDir) : openRedis(settings.url);
}
