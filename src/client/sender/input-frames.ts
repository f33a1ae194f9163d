import type { Readable } from 'node:stream';
import { interrupted, PipeError } from '../../protocol/errors.js';
import { FrameCutter, type CutterSettings } from './frame-cutter.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The payloads of a stream's frames, cut from the input as it comes (see FrameCutter): a frame
 * goes when it is full, at a line's end once its linger is up, or at EOF. Reading waits while the
 * caller handles a payload, so a full pipe holds the input back.
 */
export async function* framePayloads(
  input: Readable,
  settings: CutterSettings,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const cutter = new FrameCutter(settings);
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  let nextChunk: Promise<IteratorResult<Buffer>> | null = null;
  for (;;) {
    nextChunk ??= chunks.next().catch((error: Error) => {
      throw new PipeError(`reading standard input failed: ${error.message}`, 'error', { cause: error });
    });
    const due = cutter.msUntilDue(Date.now());
    const timers = due === Infinity ? [] : [sleep(due).then(() => 'due' as const)];
    const result = await Promise.race([nextChunk, aborted, ...timers]);
    if (result === 'aborted') throw interrupted();
    if (result !== 'due') {
      nextChunk = null;
      if (result.done) break;
      cutter.push(result.value, Date.now());
    }
    for (let payload = cutter.take(Date.now(), false); payload; payload = cutter.take(Date.now(), false)) {
      const handedAt = Date.now();
      yield payload;
      cutter.heldBack(Date.now() - handedAt);
    }
  }
  for (let payload = cutter.take(Date.now(), true); payload; payload = cutter.take(Date.now(), true)) yield payload;
}
