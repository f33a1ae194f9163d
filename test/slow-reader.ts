// Test helper: reads stdin at about BYTES_PER_SECOND (argv[2]) and prints the SHA-256 of what it read.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

const bytesPerSecond = Number(process.argv[2]);
const hash = createHash('sha256');
const started = Date.now();
let total = 0;
process.stdin.pause();
for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
  hash.update(chunk);
  total += chunk.length;
  const due = started + (total / bytesPerSecond) * 1000;
  if (due > Date.now()) await sleep(due - Date.now());
}
process.stdout.write(`${hash.digest('hex')} ${total}\n`);
