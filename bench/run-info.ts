// Where and when a bench ran, printed with its table and kept with its figures: a ratio means
// little without the machine's load beside it.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Settings } from './context.js';

export interface RunInfo {
  startedAt: string;
  commit: string;
  branch: string;
  node: string;
  cpus: number;
  settings: Settings;
  /** `uptime` when the bench started, and when it ended. */
  loadBefore: string;
  loadAfter: string;
  wallSeconds: number;
}

function output(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function uptime(): string {
  return output('uptime', []);
}

export function runInfo(settings: Settings): RunInfo {
  return {
    startedAt: new Date().toISOString(),
    commit: output('git', ['rev-parse', '--short', 'HEAD']),
    branch: output('git', ['rev-parse', '--abbrev-ref', 'HEAD']),
    node: process.version,
    cpus: cpus().length,
    settings,
    loadBefore: uptime(),
    loadAfter: '',
    wallSeconds: 0,
  };
}
