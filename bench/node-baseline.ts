// The resident memory a bare node process peaks at, for memory figures to be read against.
import { startProcess } from '../test/harness.js';
import { MIB } from './stats.js';

/**
 * Peak resident bytes (VmHWM) of a `node -e` that does nothing but report it. Not
 * resourceUsage().maxRSS: Linux carries the forking parent's peak over exec into it, so a child of
 * this large process would report the bench's own.
 */
export async function nodeBaselineBytes(): Promise<number> {
  const script =
    "process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])";
  const result = await startProcess(process.execPath, ['-e', script], {}).result;
  const kib = Number(result.stdout.toString());
  if (result.code !== 0 || !Number.isFinite(kib) || kib === 0)
    throw new Error(`node -e failed: ${result.stderr.trim()}`);
  return kib * 1024;
}

/** An absolute goal, with what `label` takes beside it, for the anchor column. */
export function besideGoal(goalMiB: number, label: string, bytes: number): string {
  return `goal ${goalMiB}; ${label} ${(bytes / MIB).toFixed(0)}`;
}
