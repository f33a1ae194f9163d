// Test processes run in process groups of their own: a shell line's pipeline, and whatever its
// commands start, end together, and none outlives the test file that started it.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';

/** Groups whose first process still runs. */
const groups = new Set<number>();

/** Signals a process's whole group. The process must have been spawned with `detached: true`. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) signalGroup(child.pid, signal);
}

/** Kills the group of `child` (spawned with `detached: true`) when this process exits, if it still runs. */
export function endsWithThisProcess(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  groups.add(pid);
  child.once('exit', () => groups.delete(pid));
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

process.once('exit', () => {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
});
// A test file stopped by a signal (the test runner, Ctrl-C) exits, so that the groups go too.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(signal, () => process.exit(128 + constants.signals[signal]));
