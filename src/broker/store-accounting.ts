import type { Level } from 'level';
import { PersistentSubscriptions } from './persistent-subscriptions.js';
import { QueuedMessages } from './queued-messages.js';
import { StoredBytes } from './stored-bytes.js';
import { StoredRecords } from './stored-records.js';

/** What the store on disk holds per session and per user, counted at start and followed since. */
export interface StoreAccounting {
  /** Messages queued per session, and their payload bytes per user: for the metrics. */
  queued: QueuedMessages;
  /** Every stored byte per user, and the bytes reserved for publishes on their way: for the quota. */
  ledger: StoredBytes;
  records: StoredRecords;
  subscriptions: PersistentSubscriptions;
}

/** Counts what aedes-persistence-level holds in `db`, then follows `persistence` as it changes it. */
export async function followStore(persistence: unknown, db: Level<string, string>): Promise<StoreAccounting> {
  const ledger = new StoredBytes();
  const queued = await QueuedMessages.follow(persistence, db, ledger);
  const records = await StoredRecords.follow(persistence, db, ledger);
  const subscriptions = await PersistentSubscriptions.follow(persistence, db);
  return { queued, ledger, records, subscriptions };
}
