// Wall time of a process from spawn to exit, the way a shell user waits for one.
import { startProcess, type Result, type RunOptions } from '../test/harness.js';

export async function timedRun(command: string, args: string[], options: RunOptions = {}): Promise<number> {
  const started = performance.now();
  const result: Result = await startProcess(command, args, options).result;
  const elapsed = performance.now() - started;
  if (result.code !== 0)
    throw new Error(
      `${[command, ...args].join(' ')} exited with ${result.code ?? result.signal}: ${result.stderr.trim()}`,
    );
  return elapsed;
}
