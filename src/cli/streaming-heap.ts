import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation from growing, for a process that streams. Each chunk read from a
 * pipe is a small object holding 64 KiB outside the heap, and dies young; once the young
 * generation has grown to its usual megabytes, tens of megabytes of dead chunks wait for the next
 * collection. A 256 MiB send peaked at 137–152 MiB resident before and 120–125 MiB after, for at
 * most a tenth more of the sender's CPU.
 */
export function collectReadChunksSooner(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
