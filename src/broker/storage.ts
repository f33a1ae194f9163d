import { mkdirSync } from 'node:fs';
import { Level } from 'level';
import { guardDiskStore, tolerateFailedCleanups } from './disk-guard.js';
import { lookUpExactRetainedTopics } from './exact-retained-lookup.js';
import { migrateOldQueue } from './old-queue-migration.js';
import { PayloadReclaimer } from './payload-reclaimer.js';
import { PipeStore } from './pipe-store.js';
import { QUEUED_PAYLOAD } from './queued-layout.js';
import type { QueuedMessages } from './queued-messages.js';
import { followStore, type StoreAccounting } from './store-accounting.js';
import { StoreHealth } from './store-health.js';

/** Where the broker keeps sessions, queued frames and retained messages, and how instances share routing. */
export interface Storage {
  /** For aedes. */
  persistence: unknown;
  /** For aedes: the emitter that routes messages between instances (null: in this process only). */
  mq: unknown;
  /** What waits in persistent sessions, where the store can count it (on disk): for the metrics. */
  queued: QueuedMessages | null;
  /** Every stored byte per user, where the store can count it (on disk): for --max-bytes-per-user. */
  accounting: StoreAccounting | null;
  /** For messages: the data directory, or the Redis server. */
  where: string;
  /** Whether the store takes writes (on disk; Redis is taken to). */
  health: StoreHealth;
  close(): Promise<void>;
}

/** Redis: the URL as given, and the ioredis options read from it (redis-options.ts). */
export type StorageSettings =
  | { kind: 'disk'; dataDir: string; recoveryCheckMs?: number }
  | { kind: 'redis'; url: string; options: Record<string, unknown> };

interface Compactable {
  compactRange(start: string, end: string): Promise<void>;
}

/**
 * LevelDB's settings for a store that is mostly a queue of frames: no compression (pipes often
 * carry compressed bytes, and Snappy would spend CPU on every frame to save nothing).
 */
const LEVEL_OPTIONS = { compression: false };

/**
 * The disk: a Level database in the data directory, which one broker process holds at a time.
 * `recoveryCheckMs`: how often a store that failed (a full disk) is checked for room to resume.
 */
async function openDisk(dataDir: string, recoveryCheckMs?: number): Promise<Storage> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Level<string, string>(dataDir, LEVEL_OPTIONS);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason =
      cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String((error as Error).message) + String(cause))
        ? 'another broker is using it'
        : (error as Error).message;
    throw new Error(`cannot open the data directory ${dataDir}: ${reason}`);
  }
  const health = new StoreHealth();
  const stopChecks = guardDiskStore(db, dataDir, health, recoveryCheckMs);
  await migrateOldQueue(db);
  const reclaimer = new PayloadReclaimer(
    // `level` is classic-level on Node, which has it; the browser's has not, so its types do not.
    () => (db as unknown as Compactable).compactRange(QUEUED_PAYLOAD, `${QUEUED_PAYLOAD.slice(0, -1)};`),
    () => health.state.kind === 'ok',
  );
  const persistence = new PipeStore(db, reclaimer);
  tolerateFailedCleanups(persistence);
  lookUpExactRetainedTopics(persistence, db);
  const accounting = await followStore(persistence, db);
  const close = async () => {
    await persistence.settled().catch(() => {});
    await reclaimer.stopped();
    await stopChecks();
    await db.close();
  };
  return { persistence, mq: null, queued: accounting.queued, accounting, where: dataDir, health, close };
}

export async function openStorage(settings: StorageSettings): Promise<Storage> {
  if (settings.kind === 'disk') return openDisk(settings.dataDir, settings.recoveryCheckMs);
  // Loaded only here: the Redis clients are a chunk of their own that a broker on disk never reads.
  const { openRedis } = await import('./redis-storage.js');
  return openRedis(settings.url, settings.options);
}
