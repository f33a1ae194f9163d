// A fresh Level database in the tests' own directory, whose batches are recorded as they are
// written (or, when told, fail as a full disk makes them fail).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Level } from 'level';
import type { WriteOp } from '../../src/broker/group-commit.js';
import { PayloadReclaimer } from '../../src/broker/payload-reclaimer.js';

const root = mkdtempSync(join(tmpdir(), 'skypipe-level-'));
after(() => rmSync(root, { recursive: true, force: true }));
let made = 0;

export async function recordedLevel(failWrites = false) {
  const db = new Level<string, string>(join(root, String(made++)));
  await db.open();
  const batches: WriteOp[][] = [];
  const batch = db.batch.bind(db) as (ops: WriteOp[], options: object) => Promise<void>;
  (db as unknown as { batch: typeof batch }).batch = (ops, options) => {
    batches.push(ops);
    return failWrites ? Promise.reject(new Error('disk full')) : batch(ops, options);
  };
  return { db, batches };
}

/** A reclaimer that never compacts. */
export const idleReclaimer = () =>
  new PayloadReclaimer(
    async () => {},
    () => true,
  );
