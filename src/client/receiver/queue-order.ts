import type { Frame } from '../../protocol/frame.js';
import type { Timings } from '../timings.js';
import type { AssemblerEvents, StreamState } from './stream-state.js';

/**
 * The order of the streams in a mailbox, where a stream's first frame names streams queued ahead
 * of it: it waits until they are written that far, and the streams that came after it wait with it.
 * A wait ends after the gap timeout, with a warning.
 */
export class QueueOrder {
  /** Streams named as queued ahead that an earlier consumer wrote, or that will not come. */
  private readonly notQueued = new Set<string>();
  /** Some stream waits for one queued ahead of it (and the streams that came after it wait with it). */
  private holding = false;

  constructor(
    private readonly streams: ReadonlyMap<string, StreamState>,
    private readonly finished: ReadonlySet<string>,
    private readonly events: Pick<AssemblerEvents, 'warn' | 'waiting'>,
    private readonly timings: Pick<Timings, 'gapTimeoutMs'>,
  ) {}

  /** A stream nothing of which is written yet waits for the streams its first frame names (once per frame). */
  note(state: StreamState, frame: Frame): void {
    if (frame.queuedAhead === undefined || frame.offset !== 0 || state.nextOffset !== 0) return;
    state.waitingFor = frame.queuedAhead;
    this.holding = true;
  }

  /** A stream named as queued ahead was written by an earlier consumer, or will not come: nothing waits for it. */
  notAhead(id: string): void {
    this.notQueued.add(id);
  }

  /** Whether any stream waits for a stream queued ahead of it. */
  get waiting(): boolean {
    return this.holding;
  }

  /** Whether none of a stream may be written now: it waits, or came after one that waits. */
  holdsBack(id: string, state: StreamState): boolean {
    return (
      (state.waitingFor.length > 0 && this.isWaiting(id, state)) ||
      (!state.begun && this.holding && this.behindWaiting(id))
    );
  }

  /** After writing what was released: whether any stream still waits. */
  recheck(): void {
    this.holding = [...this.streams.values()].some((state) => state.waitingFor.length > 0);
  }

  /**
   * Whether a stream that has not begun came after one that waits: the broker queued it later, so
   * it waits too. A stream that has begun goes on, as its frames came, and so does one that a
   * waiting stream waits for.
   */
  private behindWaiting(id: string): boolean {
    const waitedFor = [...this.streams.values()].some((state) =>
      state.waitingFor.some(({ streamId }) => streamId === id),
    );
    if (waitedFor) return false;
    for (const [other, state] of this.streams) {
      if (other === id) return false;
      if (state.waitingFor.length > 0) return true;
    }
    return false;
  }

  /** Whether a stream still waits, dropping from its list the streams written far enough. */
  private isWaiting(id: string, state: StreamState): boolean {
    state.waitingFor = state.waitingFor.filter(
      ({ streamId, through, withEnd }) =>
        !this.finished.has(streamId) &&
        !this.notQueued.has(streamId) &&
        (withEnd || (this.streams.get(streamId)?.nextOffset ?? -1) < through),
    );
    if (state.waitingFor.length === 0) {
      state.waitingSince = null;
      return false;
    }
    const now = Date.now();
    if (state.waitingSince === null) {
      state.waitingSince = now;
      const absent = state.waitingFor.filter(({ streamId }) => !this.streams.has(streamId));
      if (absent.length > 0) this.events.waiting?.(id, absent);
    } else if (now - state.waitingSince > this.timings.gapTimeoutMs) {
      this.events.warn(
        `a stream queued ahead of another has not come in ${Math.round(this.timings.gapTimeoutMs / 1000)} s; writing the later one first (see the README on broker settings)`,
      );
      state.waitingFor = [];
      state.waitingSince = null;
      return false;
    }
    return true;
  }
}
