// Bounds a measurement in time. Everything a figure starts is registered with its scope, so that a
// figure that runs out of time is stopped whole and the bench goes on to the next one.
import { Sky } from '../test/harness.js';
import { NotMeasured } from './figure.js';

export class Scope {
  private readonly controller = new AbortController();
  private readonly cleanups: (() => unknown)[] = [];

  /** A world of its own (state directory, processes), closed with the scope. */
  sky(): Sky {
    const sky = new Sky();
    this.defer(() => sky.close());
    return sky;
  }

  /** Runs `cleanup` when the scope closes, the latest first. */
  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  /** Throws once the scope is closed: loops call it so that a timed-out figure stops starting work. */
  check(): void {
    if (this.controller.signal.aborted) throw new NotMeasured('stopped');
  }

  async close(): Promise<void> {
    this.controller.abort();
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // what is left is killed with the process group anyway
      }
    }
    this.cleanups.length = 0;
  }
}

/** Runs `work` in a scope of its own, closed when it ends or after `ms`, whichever comes first. */
export async function within<T>(ms: number, work: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NotMeasured(`did not finish within its ${Math.round(ms / 1000)} s`)), ms);
  });
  const running = work(scope);
  // A timed-out measurement fails later, when its processes are killed: nobody waits for it.
  running.catch(() => {});
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
    await scope.close();
  }
}
