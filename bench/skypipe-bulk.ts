// A bulk stream through `skypipe send | skypipe recv`, as a user runs it: two processes, the
// receiver attached first, the sender's memory watched while it runs.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumerAttached, type Sky } from '../test/harness.js';
import { PeakMemory } from './memory.js';
import type { Scope } from './scope.js';
import { MIB } from './stats.js';

/** Random, so that nothing on the way could make the stream smaller than it is. */
const CHUNK = randomBytes(MIB);

/** Writes `mib` MiB into `stdin` as fast as it takes them, or no faster than `mibPerSecond`, then ends it. */
export async function feed(stdin: Writable, mib: number, scope: Scope, mibPerSecond = Infinity): Promise<void> {
  stdin.on('error', () => {}); // a sender that failed says so on its own
  const started = performance.now();
  for (let written = 1; written <= mib; written++) {
    scope.check();
    if (!stdin.write(CHUNK)) await once(stdin, 'drain');
    const due = started + (written / mibPerSecond) * 1000;
    if (due > performance.now()) await sleep(due - performance.now());
  }
  stdin.end();
}

export interface BulkRun {
  /** From the sender's start to the receiver's end. */
  seconds: number;
  /** The sender's peak resident memory (VmHWM). */
  senderPeakBytes: number;
}

/** `mib` MiB from a `skypipe send` into a `skypipe recv` through the broker at `url`. */
export async function skypipeBulk(sky: Sky, url: string, name: string, mib: number, scope: Scope): Promise<BulkRun> {
  // wc counts what arrived: a receiver that stopped short shows there.
  const receiver = sky.shell(`$SKYPIPE recv ${name} --url ${url} | wc -c`);
  await consumerAttached(url, name);
  const started = performance.now();
  const sender = sky.start(['send', name, '--url', url], { input: 'pipe' });
  const memory = new PeakMemory(sender.child.pid!, 'VmHWM');
  scope.defer(() => memory.stop());
  const [, sent, received] = await Promise.all([feed(sender.child.stdin!, mib, scope), sender.result, receiver.result]);
  const seconds = (performance.now() - started) / 1000;
  const senderPeakBytes = memory.stop();
  if (sent.code !== 0) throw new Error(`skypipe send exited with ${sent.code}: ${sent.stderr.trim()}`);
  const bytes = Number(received.stdout.toString().trim());
  if (bytes !== mib * MIB)
    throw new Error(`skypipe recv wrote ${bytes} of ${mib * MIB} bytes: ${received.stderr.trim() || 'no message'}`);
  return { seconds, senderPeakBytes };
}
