// The bulk and line measurements again with a bare MQTT.js relay (bare-relay-process.ts) in
// skypipe's place: the same feeder, broker and output, two processes with their pipes, and none of
// skypipe's own work. What the figures' anchors leave out, measured.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { startProcess, type Running } from '../test/harness.js';
import { killGroup } from '../test/process-groups.js';
import { lineTimes } from './line-times.js';
import { OutputWatch } from './output-watch.js';
import type { Scope } from './scope.js';
import { feed } from './skypipe-bulk.js';
import { MIB } from './stats.js';

const RELAY = resolve(import.meta.dirname, 'bare-relay-process.js');

function relay(scope: Scope, mode: 'send' | 'receive', url: string, topic: string, pipeInto?: string): Running {
  const command = `"${process.execPath}" "${RELAY}" ${mode} ${url} ${topic}`;
  const running = startProcess('/bin/sh', ['-c', pipeInto === undefined ? command : `${command} | ${pipeInto}`], {
    input: mode === 'send' ? 'pipe' : 'null',
  });
  scope.defer(() => killGroup(running.child, 'SIGKILL'));
  return running;
}

/** Resolves once the receiving relay has subscribed. */
async function subscribed(receiver: Running): Promise<void> {
  const exited = receiver.result.then(({ stderr }) => {
    throw new Error(`the bare relay's receiver exited: ${stderr.trim() || 'no message'}`);
  });
  while (!receiver.stderrSoFar().includes('ready')) await Promise.race([once(receiver.child.stderr!, 'data'), exited]);
}

/** Seconds for `mib` MiB through the relay, timed as skypipeBulk() times skypipe. */
export async function bareRelayBulkSeconds(url: string, mib: number, scope: Scope): Promise<number> {
  const topic = `bench/relay/${randomBytes(4).toString('hex')}`;
  const receiver = relay(scope, 'receive', url, topic, 'wc -c');
  await subscribed(receiver);
  const started = performance.now();
  const sender = relay(scope, 'send', url, topic);
  const [, sent, received] = await Promise.all([feed(sender.child.stdin!, mib, scope), sender.result, receiver.result]);
  const seconds = (performance.now() - started) / 1000;
  const bytes = Number(received.stdout.toString().trim());
  if (sent.code !== 0 || bytes !== mib * MIB)
    throw new Error(
      `the bare relay moved ${bytes} of ${mib * MIB} bytes: ${sent.stderr.trim() || received.stderr.trim()}`,
    );
  return seconds;
}

/** Milliseconds per line through the relay, sampled as the line figure samples skypipe. */
export async function bareRelayLineMs(url: string, samples: number, scope: Scope): Promise<number[]> {
  const topic = `bench/relay/${randomBytes(4).toString('hex')}`;
  const receiver = relay(scope, 'receive', url, topic);
  const output = new OutputWatch(receiver.child.stdout!);
  await subscribed(receiver);
  const sender = relay(scope, 'send', url, topic);
  const times = await lineTimes(sender.child.stdin!, output, samples, scope);
  sender.child.stdin!.end();
  await Promise.all([sender.result, receiver.result]);
  return times;
}
