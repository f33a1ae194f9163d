// Test helper: writes argv[2] numbered lines, one every argv[3] milliseconds, like a slow log.
import { setTimeout as sleep } from 'node:timers/promises';

const lines = Number(process.argv[2]);
const everyMs = Number(process.argv[3]);
for (let n = 0; n < lines; n++) {
  process.stdout.write(`log line ${n}\n`);
  await sleep(everyMs);
}
