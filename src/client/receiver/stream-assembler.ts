import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { describeBytes } from '../../protocol/describe-bytes.js';
import { PipeError } from '../../protocol/errors.js';
import type { Frame } from '../../protocol/frame.js';
import { DEFAULT_TIMINGS, type Timings } from '../timings.js';
import { QueueOrder } from './queue-order.js';
import { conflictingFrames, sameFrame } from './written-frames.js';
import { newStreamState, type AssemblerEvents, type StreamState } from './stream-state.js';

const OUTPUT_CLOSED = 'the reader closed the output; what skypipe had not written to it stays in the pipe';

export type { AssemblerEvents } from './stream-state.js';
export type Verdict = 'continue' | 'finished';

/**
 * Puts the frames of the streams in one pipe in order and writes their bytes: each stream's
 * frames must form a run of consecutive sequence numbers and offsets, and a stream seen from its
 * start must match the SHA-256 of its end frame. Duplicates are acknowledged and skipped; a frame
 * is acknowledged only once its bytes are written. The first stream written is the primary one: a
 * plain receive ends with it. A stream whose first frame names streams queued ahead of it waits
 * until they are written that far (a consumer passes the note on; a listener does not).
 */
export class StreamAssembler {
  private readonly streams = new Map<string, StreamState>();
  private readonly finished = new Set<string>();
  private readonly order: QueueOrder;
  private framesWritten = 0;
  private primary: string | null = null;
  private done = false;

  constructor(
    private readonly output: Writable,
    private readonly follow: boolean,
    private readonly events: AssemblerEvents,
    private readonly timings: Pick<Timings, 'gapTimeoutMs'> = DEFAULT_TIMINGS,
  ) {
    this.order = new QueueOrder(this.streams, this.finished, events, timings);
  }

  /** Takes one frame; resolves 'finished' when the primary stream has ended (without --follow). */
  async accept(frame: Frame, ack: () => void): Promise<Verdict> {
    const id = frame.streamId.toString('hex');
    // After the primary stream, frames stay unacknowledged: they are the next receiver's.
    if (this.done) return 'finished';
    if (this.finished.has(id)) {
      ack();
      return 'continue';
    }
    let state = this.streams.get(id);
    if (state === undefined) {
      state = newStreamState(Date.now());
      this.streams.set(id, state);
      state.held.set(frame.offset, { frame, ack });
      const start = (await this.events.startOf(id, frame)) ?? Math.min(...state.held.keys());
      state.nextOffset = start;
      if (start === 0) state.hash = createHash('sha256');
      else this.events.joined(id, start);
      this.order.note(state, frame);
      return this.writeAll(id, state);
    }
    state.lastFrameAt = Date.now();
    const held = state.held.get(frame.offset);
    if (state.nextOffset !== null && frame.offset < state.nextOffset) {
      ack(); // a frame written already
      return state.written.conflicts(frame, state.nextSeq) ? this.corrupted(id, state, frame) : 'continue';
    }
    if (held !== undefined) {
      if (!sameFrame(held.frame, frame)) return this.corrupted(id, state, frame);
      // A second copy of a frame waiting its turn (a broker redelivered it): acknowledged with the
      // first once written, since some brokers (NATS) take either acknowledgement for both.
      const first = held.ack;
      held.ack = () => {
        first();
        ack();
      };
      return 'continue';
    }
    state.held.set(frame.offset, { frame, ack });
    this.order.note(state, frame);
    return this.writeAll(id, state);
  }

  /** Writes what is ready in one stream, then in the streams that were held back. */
  private async writeAll(id: string, state: StreamState): Promise<Verdict> {
    if ((await this.writeReady(id, state)) === 'finished') return 'finished';
    return this.order.waiting ? this.writeReleased() : 'continue';
  }

  /**
   * Writes what is ready in every stream, in the order the streams came: those that no longer wait
   * for streams queued ahead of them, and those that came after them. Call after notAhead(), and
   * now and then: a stream waits at most the gap timeout.
   */
  async writeReleased(): Promise<Verdict> {
    for (let before = -1; before !== this.framesWritten && !this.done;) {
      before = this.framesWritten;
      for (const [id, state] of this.streams) {
        if (state.nextOffset === null || !state.held.has(state.nextOffset)) continue;
        if ((await this.writeReady(id, state)) === 'finished') return 'finished';
      }
    }
    this.order.recheck();
    return this.done ? 'finished' : 'continue';
  }

  /** A stream named as queued ahead was written by an earlier consumer, or will not come: nothing waits for it. */
  notAhead(id: string): void {
    this.order.notAhead(id);
  }

  /** Whether any stream waits for a stream queued ahead of it. */
  get waiting(): boolean {
    return this.order.waiting;
  }

  /**
   * Gives up on streams whose gap has lasted the gap timeout: the broker dropped frames. Throws for
   * the primary stream of a plain receive, as abandon() does. Call now and then.
   */
  checkGaps(now: number): void {
    for (const [id, state] of [...this.streams]) {
      if (state.gapSince !== null && now - state.gapSince > this.timings.gapTimeoutMs) {
        this.abandon(id, 'the broker dropped frames of a stream', 'see the README on broker settings');
      }
    }
  }

  /** When the oldest gap still open, or wait for a stream queued ahead, began; null if there is none. */
  oldestGapSince(): number | null {
    let oldest: number | null = null;
    for (const { gapSince, waitingSince } of this.streams.values()) {
      for (const since of [gapSince, waitingSince])
        if (since !== null && (oldest === null || since < oldest)) oldest = since;
    }
    return oldest;
  }

  /** Whether frames of the stream have come and it has not ended. */
  isOpen(id: string): boolean {
    return this.streams.has(id);
  }

  /** Whether the next frame of the stream to write has come and waits its turn (its start, or streams queued ahead). */
  waitsItsTurn(id: string): boolean {
    const state = this.streams.get(id);
    return state !== undefined && (state.nextOffset === null ? state.held.size > 0 : state.held.has(state.nextOffset));
  }

  /** Whether frames of any stream have come that have not ended. */
  get hasOpenStreams(): boolean {
    return this.streams.size > 0;
  }

  /** Whether any stream has been written to the output. */
  get started(): boolean {
    return this.primary !== null;
  }

  /** Streams that are open but have had no frame for `quietMs`. */
  quietStreams(now: number, quietMs: number): string[] {
    return [...this.streams].filter(([, state]) => now - state.lastFrameAt >= quietMs).map(([id]) => id);
  }

  /** Gives up on a stream whose sender went away: an error for the primary stream, a warning for others. */
  abandon(id: string, reason: string, fix?: string): void {
    const state = this.streams.get(id);
    if (state === undefined) return;
    this.forget(id, state);
    this.reportIncomplete(
      id,
      `${reason} after ${describeBytes(state.nextOffset ?? 0)} of its stream; the output is incomplete${fix === undefined ? '' : `; ${fix}`}`,
      state.nextOffset ?? 0,
    );
  }

  /** Another client wrote into the stream: what was written may not be the sender's. */
  private corrupted(id: string, state: StreamState, frame: Frame): Verdict {
    this.forget(id, state);
    this.reportIncomplete(id, conflictingFrames(frame), state.nextOffset ?? 0);
    return 'continue';
  }

  /** Forgets a stream that has ended; copies of its frames still waiting are acknowledged. */
  private forget(id: string, state: StreamState): void {
    this.finished.add(id);
    this.streams.delete(id);
    for (const held of state.held.values()) held.ack();
  }

  /** A stream that ended short: an error for the primary stream (without --follow), a warning for others. */
  private reportIncomplete(id: string, message: string, length: number): void {
    this.events.ended?.(id, false, length);
    if (id === (this.primary ?? id) && !this.follow) throw new PipeError(message, 'incomplete');
    this.events.warn(message);
  }

  /**
   * A stream written through its end turned out short or long (its sender's record says so): an
   * error for the primary stream (without --follow), a warning for others.
   */
  endedWrong(id: string, message: string): void {
    if (id === this.primary && !this.follow) throw new PipeError(message, 'incomplete');
    this.events.warn(message);
  }

  /** While the connection was down, a gap could not close: its clock starts again. */
  restartGapClocks(now: number): void {
    for (const state of this.streams.values()) {
      if (state.gapSince !== null) state.gapSince = now;
      if (state.waitingSince !== null) state.waitingSince = now;
    }
  }

  private async writeReady(id: string, state: StreamState): Promise<Verdict> {
    for (;;) {
      if (this.order.holdsBack(id, state)) {
        state.gapSince = null;
        return 'continue';
      }
      // Copies of frames already written (held before the start was known).
      for (const [offset, held] of state.held) {
        if (offset < state.nextOffset!) {
          state.held.delete(offset);
          held.ack();
        }
      }
      const next = state.held.get(state.nextOffset!);
      if (next === undefined) {
        state.gapSince = state.held.size > 0 ? (state.gapSince ?? Date.now()) : null;
        return 'continue';
      }
      state.held.delete(state.nextOffset!);
      state.gapSince = null;
      const { frame, ack } = next;
      if (state.nextSeq !== null && frame.seq !== state.nextSeq) {
        throw new PipeError(
          `a stream's frame ${state.nextSeq} is missing at byte ${state.nextOffset}; the output is incomplete`,
          'incomplete',
        );
      }
      this.primary ??= id;
      state.begun = true;
      this.framesWritten += 1;
      const isPrimary = id === this.primary && !this.follow;

      if (frame.type === 'data') {
        await this.write(frame.payload);
        state.written.note(frame);
        state.hash?.update(frame.payload);
        state.nextSeq = frame.seq + 1;
        state.nextOffset! += frame.payload.length;
        this.events.written?.(id, state.nextOffset!, frame.payload.length);
        ack();
        continue;
      }

      this.forget(id, state);
      if (frame.type === 'abort') {
        ack();
        const reason = frame.payload.toString('utf8').slice(0, 400) || 'no reason given';
        this.reportIncomplete(
          id,
          `the sender stopped before the end of its stream (${reason}) after ${describeBytes(state.nextOffset!)}; the output is incomplete`,
          state.nextOffset!,
        );
        return 'continue';
      }
      if (state.hash !== null && !state.hash.digest().equals(frame.payload)) {
        throw new PipeError(
          `the stream failed its SHA-256 check (${describeBytes(state.nextOffset!)} received); the output is corrupt`,
          'incomplete',
        );
      }
      // An empty stream has no progress yet: its record says it was written.
      if (state.nextOffset === 0) this.events.written?.(id, 0, 0);
      ack();
      this.events.ended?.(id, true, state.nextOffset!, state.hash !== null);
      if (isPrimary) this.done = true;
      return isPrimary ? 'finished' : 'continue';
    }
  }

  private write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.output.write(bytes, (error) => {
        if (!error) return resolve();
        const code = (error as NodeJS.ErrnoException).code;
        const closed = code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
        const reason = closed ? OUTPUT_CLOSED : `writing the output failed: ${error.message}`;
        reject(new PipeError(reason, closed ? 'output-closed' : 'error', { cause: error }));
      });
    });
  }
}
