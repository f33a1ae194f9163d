import { statfs } from 'node:fs/promises';
import type { Level } from 'level';
import { isStoreFailure, StoreFailing, type StoreHealth } from './store-health.js';

/**
 * Free space the data directory needs before the broker reopens its store: LevelDB replays its
 * logs into tables of up to its 4 MiB write buffer each, beside the logs, and starts a new log.
 */
export const ROOM_TO_RESUME_BYTES = 16 * 1024 * 1024;
/** How often a failing store is checked for room to resume. */
export const RECOVERY_CHECK_MS = 2000;

/** A key no message uses (the store's keys all start with a word and ':'). */
const PROBE_KEY = '~skypipe-store-probe';

type Write = (...args: unknown[]) => Promise<unknown>;

interface Writes {
  put: Write;
  del: Write;
  clear: Write;
  batch(...args: unknown[]): unknown;
}

/**
 * Guards the writes to the broker's Level store. A write that fails makes the store failing; from
 * then on every write is refused without reaching LevelDB: after a failed log write, LevelDB can
 * drop, when it replays that log, the writes appended behind the failed one; after a failed
 * compaction it refuses every write until it is reopened, even once there is space again. So
 * while failing, the store is read-only, and once the data directory has room again the broker
 * reopens it, checks a write, and resumes. Returns a function that stops the checks, before the store closes.
 */
export function guardDiskStore(
  db: Level<string, string>,
  dataDir: string,
  health: StoreHealth,
  checkEveryMs = RECOVERY_CHECK_MS,
): () => Promise<void> {
  const writes = db as unknown as Writes;
  const raw = { put: writes.put.bind(db), del: writes.del.bind(db), clear: writes.clear.bind(db) };
  const batch = writes.batch.bind(db);
  const gate = (write: () => Promise<unknown>): Promise<unknown> => {
    const refusal = health.refusal();
    if (refusal !== null) return Promise.reject(new StoreFailing(refusal));
    return write().catch((error: unknown) => {
      if (isStoreFailure(error)) health.failed(error);
      throw error;
    });
  };
  writes.put = (...args) => gate(() => raw.put(...args));
  writes.del = (...args) => gate(() => raw.del(...args));
  writes.clear = (...args) => gate(() => raw.clear(...args));
  writes.batch = (...args) => {
    if (args.length > 0) return gate(() => batch(...args) as Promise<unknown>);
    // A chained batch: its operations are queued in memory, its write() is the write.
    const chained = batch() as { write: Write };
    const write = chained.write.bind(chained);
    chained.write = (...writeArgs) => gate(() => write(...writeArgs));
    return chained;
  };

  /** The check under way, if one is: the store is closed only after it. */
  let checking: Promise<void> | null = null;
  let stopped = false;
  const resumeIfRoom = async () => {
    const { bavail, bsize } = await statfs(dataDir);
    if (stopped || bavail * bsize < ROOM_TO_RESUME_BYTES) return;
    await db.close();
    await db.open();
    await raw.put(PROBE_KEY, 'ok');
    await raw.del(PROBE_KEY);
    health.recovered();
  };
  const check = () => {
    // A check that fails (no room yet, or LevelDB will not open or write) leaves the store failing: the next tries again.
    checking ??= resumeIfRoom()
      .catch(() => {})
      .finally(() => (checking = null));
  };
  let timer: NodeJS.Timeout | null = null;
  const stopChecks = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  health.onChange((state) => {
    if (state.kind === 'ok') return stopChecks();
    timer ??= setInterval(check, checkEveryMs);
    timer.unref();
  });
  return async () => {
    stopped = true;
    stopChecks();
    await checking;
  };
}

/**
 * aedes treats a failed write of a Will, or of the cleanup of a clean session, as a failed
 * CONNECT (and one Will deletion as an unhandled rejection, which ended the process): a client
 * could not even connect to be told that the store is failing. Those writes keep nothing a
 * client sent: while the store fails, a new Will lives in memory only (aedes publishes it from
 * there), and the rest is cleaned up later.
 */
export function tolerateFailedCleanups(persistence: unknown): void {
  const store = persistence as Record<string, unknown>;
  for (const name of ['putWill', 'delWill', 'cleanIncoming']) {
    const original = store[name];
    if (typeof original !== 'function') continue;
    store[name] = (...args: unknown[]) => {
      const result = (original as (...args: unknown[]) => unknown).apply(persistence, args);
      if (!(result instanceof Promise)) return result;
      return result.catch((error: unknown) => {
        if (isStoreFailure(error)) return undefined;
        throw error;
      });
    };
  }
}
