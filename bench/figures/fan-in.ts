// A thousand concurrent senders of one line each into one following receiver: the time until the
// receiver has every line, on our durable broker beside stock NATS.
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumerAttached, startProcess } from '../../test/harness.js';
import { openFilesLimit } from '../../test/fleet.js';
import { killGroup } from '../../test/process-groups.js';
import type { Figure } from '../context.js';
import { NotMeasured } from '../figure.js';
import { OutputWatch } from '../output-watch.js';
import type { Scope } from '../scope.js';

const FAN_IN_SENDERS = resolve(import.meta.dirname, '../fan-in-senders.js');
/** What our broker gets before the figure gives up, leaving room in the budget for NATS first. */
const OURS_LIMIT_MS = 200_000;
const NATS_LIMIT_MS = 60_000;

/** Seconds from the first sender's start until a following receiver has a line from each of `senders`. */
async function fanIn(url: string, senders: number, limitMs: number, scope: Scope): Promise<number> {
  const sky = scope.sky();
  const receiver = sky.start(['recv', '-f', 'fan-in', '--url', url]);
  const output = new OutputWatch(receiver.child.stdout!);
  await consumerAttached(url, 'fan-in');
  const started = performance.now();
  const fleet = startProcess(process.execPath, [FAN_IN_SENDERS, url, 'fan-in', String(senders)], {});
  scope.defer(() => killGroup(fleet.child, 'SIGKILL'));
  // Senders that fail end the wait at once; senders that succeed are done before the lines are all out.
  const fleetFailed = fleet.result.then((result) =>
    result.code === 0
      ? new Promise<never>(() => {})
      : Promise.reject(new Error(`the senders exited with ${result.code}: ${result.stderr.trim()}`)),
  );
  fleetFailed.catch(() => {}); // judged in the race below, or moot once every line is in
  try {
    await Promise.race([output.until(() => output.lines() >= senders, `${senders} lines`, limitMs), fleetFailed]);
  } catch (error) {
    throw new NotMeasured(`${output.lines()} of ${senders} lines arrived: ${(error as Error).message}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const distinct = new Set(
    output
      .all()
      .split('\n')
      .filter((line) => line !== ''),
  ).size;
  if (distinct !== senders) throw new Error(`${distinct} distinct lines of ${senders} arrived`);
  receiver.child.kill('SIGINT');
  // The senders' sessions end after their lines are out; the next run should not share the CPU with them.
  await Promise.race([fleet.result, sleep(30_000)]);
  killGroup(fleet.child, 'SIGKILL');
  await receiver.result;
  return seconds;
}

export const fanInFigure: Figure = {
  spec: {
    id: 'fan-in',
    title: 'concurrent senders into one receiver',
    unit: 's',
    anchorName: 'the same through stock NATS',
    better: 'lower',
    goalRatio: 1.5,
  },
  budgetSeconds: 300,
  async measure(context, scope) {
    const senders = context.settings.senders;
    // Each sender holds a socket here and one at the broker, which runs with the same limit.
    const limit = openFilesLimit();
    if (limit < senders + 200)
      throw new NotMeasured(
        `the open file limit is ${limit}, too few for ${senders} senders: ulimit -n ${senders * 2}`,
      );
    const nats = await context.brokers.stock('nats');
    // NATS first: it is quick, and what is left of the budget then goes to ours.
    const natsSeconds = await fanIn(nats.url, senders, NATS_LIMIT_MS, scope);
    const ours = await context.brokers.ours();
    let oursSeconds: number;
    try {
      oursSeconds = await fanIn(ours.url, senders, OURS_LIMIT_MS, scope);
    } catch (error) {
      if (!(error instanceof NotMeasured)) throw error;
      throw new NotMeasured(`our broker: ${error.message}; NATS took ${natsSeconds.toFixed(1)} s`);
    }
    return {
      value: oursSeconds,
      anchor: natsSeconds,
      notes: [
        `${senders} senders of one line each, in one process, connections started 3 ms apart (in-process send(), as the fault suite)`,
      ],
    };
  },
};
