// Our broker's resident memory after a long stream through it, and while it holds a stream for a
// receiver ten times slower than its sender: each on a fresh broker, so neither inherits the other's.
import { BROKER_MALLOC_ARENAS } from '../../src/cli/local-sky.js';
import { consumerAttached, ForegroundBroker, SLOW_READER } from '../../test/harness.js';
import type { Figure } from '../context.js';
import { PeakMemory, residentBytes } from '../memory.js';
import { besideGoal } from '../node-baseline.js';
import type { Scope } from '../scope.js';
import { feed, skypipeBulk } from '../skypipe-bulk.js';
import { mib, MIB } from '../stats.js';

const GOAL_MIB = 250;
/** The slow receiver reads this fast; its sender is fed ten times faster. */
const READER_MIB_PER_SECOND = 4;

async function freshBroker(scope: Scope): Promise<{ broker: ForegroundBroker; pid: number }> {
  const sky = scope.sky();
  // As the local broker and the image run it.
  sky.env.MALLOC_ARENA_MAX = BROKER_MALLOC_ARENAS;
  const broker = new ForegroundBroker(sky);
  await broker.start();
  scope.defer(() => broker.running && broker.kill('SIGKILL'));
  return { broker, pid: broker.running!.child.pid! };
}

/** VmRSS once `mib` MiB went through a fresh broker, and its VmRSS when idle before. */
async function afterLongRun(mib: number, scope: Scope): Promise<{ after: number; idle: number }> {
  const { broker, pid } = await freshBroker(scope);
  const idle = residentBytes(pid, 'VmRSS')!;
  await skypipeBulk(scope.sky(), broker.url, 'long', mib, scope);
  return { after: residentBytes(pid, 'VmRSS')!, idle };
}

/** Peak VmRSS of a fresh broker while a default sender runs ten times ahead of its receiver. */
async function behindSlowReceiver(mib: number, scope: Scope): Promise<number> {
  const { broker, pid } = await freshBroker(scope);
  const sky = scope.sky();
  const receiver = sky.shell(
    `$SKYPIPE recv slow --url ${broker.url} | ${process.execPath} ${SLOW_READER} ${READER_MIB_PER_SECOND * MIB}`,
  );
  await consumerAttached(broker.url, 'slow');
  const sender = sky.start(['send', 'slow', '--url', broker.url], { input: 'pipe' });
  const memory = new PeakMemory(pid, 'VmRSS', 100);
  scope.defer(() => memory.stop());
  const [, sent, received] = await Promise.all([
    feed(sender.child.stdin!, mib, scope, READER_MIB_PER_SECOND * 10),
    sender.result,
    receiver.result,
  ]);
  const peak = memory.stop();
  if (sent.code !== 0) throw new Error(`skypipe send exited with ${sent.code}: ${sent.stderr.trim()}`);
  const total = Number(received.stdout.toString().trim().split(' ')[1]);
  if (total !== mib * MIB) throw new Error(`the slow receiver read ${total} of ${mib * MIB} bytes`);
  return peak;
}

export const brokerMemory: Figure = {
  spec: {
    id: 'broker-memory',
    title: 'broker resident memory (worse of two)',
    unit: 'MiB',
    anchorName: `the goal, ${GOAL_MIB} MiB (the idle broker beside it)`,
    better: 'lower',
    goalRatio: 1,
    goalText: `≤ ${GOAL_MIB} MiB`,
  },
  budgetSeconds: 300,
  async measure(context, scope) {
    const { brokerMiB, slowMiB } = context.settings;
    const slow = await behindSlowReceiver(slowMiB, scope);
    const long = await afterLongRun(brokerMiB, scope);
    return {
      value: Math.max(long.after, slow) / MIB,
      anchor: GOAL_MIB,
      anchorText: besideGoal(GOAL_MIB, 'idle', long.idle),
      notes: [
        `VmRSS after ${brokerMiB} MiB through it: ${mib(long.after)} (idle before: ${mib(long.idle)}); MALLOC_ARENA_MAX=${BROKER_MALLOC_ARENAS}, as the local broker and the image run`,
        `peak VmRSS behind a receiver reading ${READER_MIB_PER_SECOND} MiB/s, its sender fed ${READER_MIB_PER_SECOND * 10} MiB/s, ${slowMiB} MiB: ${mib(slow)}`,
      ],
    };
  },
};
