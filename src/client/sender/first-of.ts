/**
 * Waits for the first of some promises, a deadline and an abort, and leaves nothing behind once
 * it has one. Promise.race attaches a reaction to each promise it races that keeps the race's
 * result reachable until that promise settles: raced once per input chunk against an abort that
 * never comes, or a deadline a second away, it kept every chunk the sender ever read (a 1 GiB
 * send held 1 GiB). Here a promise that settles late finds an emptied slot, the timer is cleared
 * and the abort listener removed.
 */
export function firstOf<T>(
  promises: readonly Promise<T>[],
  dueMs: number,
  signal: AbortSignal | undefined,
): Promise<T | 'due' | 'aborted'> {
  return new Promise((resolve, reject) => {
    let slot: { resolve: (value: T | 'due' | 'aborted') => void; reject: (error: unknown) => void } | null = {
      resolve,
      reject,
    };
    const settle = (settling: (into: NonNullable<typeof slot>) => void) => {
      if (slot === null) return;
      const into = slot;
      slot = null;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settling(into);
    };
    const onAbort = () => settle((into) => into.resolve('aborted'));
    const timer = Number.isFinite(dueMs) ? setTimeout(() => settle((into) => into.resolve('due')), dueMs) : undefined;
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    for (const promise of promises)
      promise.then(
        (value) => settle((into) => into.resolve(value)),
        (error: unknown) => settle((into) => into.reject(error)),
      );
  });
}
