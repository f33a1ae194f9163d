// Test helper: copies a file to stdout in small writes of random sizes, pausing now and then,
// like a program that logs as it goes.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const data = readFileSync(process.argv[2]!);
let at = 0;
let writes = 0;
while (at < data.length) {
  const size = 1 + Math.floor(Math.random() * 4096);
  const piece = data.subarray(at, at + size);
  at += piece.length;
  if (!process.stdout.write(piece)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  if (++writes % 50 === 0) await sleep(1);
}
