// The pipe store honours the whole aedes-persistence contract: the abstract tests every aedes
// persistence runs, against a PipeStore on a fresh Level database each.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { Level } from 'level';
import { PayloadReclaimer } from '../../src/broker/payload-reclaimer.js';
import { PipeStore } from '../../src/broker/pipe-store.js';

const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js') as (options: object) => void;

const dir = mkdtempSync(join(tmpdir(), 'skypipe-store-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let made = 0;

abstractPersistence({
  test,
  testAsync: true,
  persistence: () => {
    const db = new Level<string, string>(join(dir, String(made++)));
    return new PipeStore(
      db,
      new PayloadReclaimer(
        async () => {},
        () => true,
      ),
    );
  },
});
