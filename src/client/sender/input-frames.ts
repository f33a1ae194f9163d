import type { Readable } from 'node:stream';
import { interrupted, PipeError } from '../../protocol/errors.js';
import { firstOf } from './first-of.js';
import { FrameCutter, type CutterSettings } from './frame-cutter.js';

/** The sender's frames on their way to the broker, as the cutter needs to know them. */
export interface FramesInFlight {
  readonly framesInFlight: number;
  /** Resolves when the broker next acknowledges a frame. */
  acknowledged(): Promise<void>;
}

/**
 * The payloads of a stream's frames, cut from the input as it comes (see FrameCutter): a frame
 * goes when it is full, at a line's end when nothing is in flight or the broker acknowledges a
 * frame, a partial line after its wait, and the rest at EOF. Reading waits while the caller
 * handles a payload, so a full pipe holds the input back. Each payload comes after
 * `settings.headroom` free bytes, for its frame header.
 */
export async function* framePayloads(
  input: Readable,
  settings: CutterSettings,
  signal: AbortSignal | undefined,
  inFlight: FramesInFlight,
): AsyncGenerator<Buffer> {
  const cutter = new FrameCutter(settings);
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let nextChunk: Promise<IteratorResult<Buffer>> | null = null;
  for (;;) {
    nextChunk ??= chunks.next().catch((error: Error) => {
      throw new PipeError(`reading standard input failed: ${error.message}`, 'error', { cause: error });
    });
    const due = cutter.msUntilDue(Date.now(), inFlight.framesInFlight);
    const wakes: Promise<IteratorResult<Buffer> | 'due'>[] = [nextChunk];
    if (cutter.bufferedBytes > 0 && inFlight.framesInFlight > 0)
      wakes.push(inFlight.acknowledged().then(() => 'due' as const));
    const waitedFrom = Date.now();
    const heldByBroker = inFlight.framesInFlight > 0;
    // Not Promise.race: see firstOf.
    const result = await firstOf(wakes, due, signal);
    if (result === 'aborted') throw interrupted();
    // While frames wait for the broker, a partial line's wait for its newline stands still.
    if (heldByBroker) cutter.heldBack(Date.now() - waitedFrom);
    if (result !== 'due') {
      nextChunk = null;
      if (result.done) break;
      cutter.push(result.value, Date.now());
    }
    for (let payload = cutter.take(Date.now(), false, inFlight.framesInFlight); payload;) {
      const handedAt = Date.now();
      yield payload;
      cutter.heldBack(Date.now() - handedAt);
      payload = cutter.take(Date.now(), false, inFlight.framesInFlight);
    }
  }
  for (let payload = cutter.take(Date.now(), true, 0); payload; payload = cutter.take(Date.now(), true, 0))
    yield payload;
}
