// The resident memory a bare node process peaks at, for memory figures to be read against.
import { startProcess } from '../test/harness.js';
import { MIB } from './stats.js';

/** Peak resident bytes of `node -e` that does nothing but report it. */
export async function nodeBaselineBytes(): Promise<number> {
  const result = await startProcess(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS))'],
    {},
  ).result;
  const kib = Number(result.stdout.toString());
  if (result.code !== 0 || !Number.isFinite(kib)) throw new Error(`node -e failed: ${result.stderr.trim()}`);
  return kib * 1024;
}

/** An absolute goal, with what `label` takes beside it, for the anchor column. */
export function besideGoal(goalMiB: number, label: string, bytes: number): string {
  return `goal ${goalMiB}; ${label} ${(bytes / MIB).toFixed(0)}`;
}
