/**
 * Waits for the first of some promises, a deadline and an abort, and leaves nothing behind once
 * it has one. Promise.race attaches a reaction to each promise it races that keeps the race's
 * result reachable until that promise settles: raced once per input chunk against an abort that
 * never comes, or a deadline a second away, it kept every chunk the sender ever read (a 256 MiB
 * send held all 256). Here a promise that settles late finds an emptied slot, the timer is cleared
 * and the abort listener removed.
 */
export function firstOf<T>(
  promises: readonly Promise<T>[],
  dueMs: number,
  signal: AbortSignal | undefined,
): Promise<T | 'due' | 'aborted'> {
  type Outcome = T | 'due' | 'aborted';
  // No closure below refers to `promises` or to the result: what a late promise's reaction
  // keeps is this slot, emptied once the first thing came.
  let slot: { resolve: (outcome: Outcome) => void; reject: (error: unknown) => void } | null = null;
  const result = new Promise<Outcome>((resolve, reject) => (slot = { resolve, reject }));
  const settle = (outcome: { value: Outcome } | { error: unknown }) => {
    if (slot === null) return;
    const { resolve, reject } = slot;
    slot = null;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if ('error' in outcome) reject(outcome.error);
    else resolve(outcome.value);
  };
  const onAbort = () => settle({ value: 'aborted' });
  const timer = Number.isFinite(dueMs) ? setTimeout(() => settle({ value: 'due' }), dueMs) : undefined;
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  for (const promise of promises)
    promise.then(
      (value) => settle({ value }),
      (error: unknown) => settle({ error }),
    );
  return result;
}
