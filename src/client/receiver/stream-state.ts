import type { Hash } from 'node:crypto';
import type { Frame, QueuedAhead } from '../../protocol/frame.js';
import { WrittenFrames } from './written-frames.js';

export interface Held {
  frame: Frame;
  ack: () => void;
}

export interface StreamState {
  /** Null until the receiver knows where its part of the stream starts. */
  nextOffset: number | null;
  nextSeq: number | null;
  /** Null when this receiver joined the stream after its start: the whole-stream hash cannot be checked. */
  hash: Hash | null;
  /** Frames that arrived before their turn, by offset (unique per frame of a stream). */
  held: Map<number, Held>;
  gapSince: number | null;
  lastFrameAt: number;
  /** Streams queued ahead of this one that this receiver has not yet written far enough: none of this one goes before. */
  waitingFor: QueuedAhead[];
  waitingSince: number | null;
  /** Some of it is written: it no longer waits behind streams that came before it. */
  begun: boolean;
  /** The last frames written, to tell a broker's copy from another client's frame. */
  written: WrittenFrames;
}

/** A stream whose first frame has just come, at `now`. */
export function newStreamState(now: number): StreamState {
  return {
    nextOffset: null,
    nextSeq: null,
    hash: null,
    held: new Map(),
    gapSince: null,
    lastFrameAt: now,
    waitingFor: [],
    waitingSince: null,
    begun: false,
    written: new WrittenFrames(),
  };
}

export interface AssemblerEvents {
  warn(message: string): void;
  /**
   * Where this receiver's part of a new stream starts: the offset an earlier consumer reached,
   * 0 for a fresh stream, or null to start at the first frame that arrives (listening in).
   */
  startOf(streamIdHex: string, first: Frame): Promise<number | null>;
  /** Bytes of a stream are written; called before the frame is acknowledged. */
  written?(streamIdHex: string, consumedBytes: number, frameBytes: number): void;
  /**
   * A stream is over: written through its end (complete), or given up on; `checked` when it was
   * complete and its SHA-256 matched.
   */
  ended?(streamIdHex: string, complete: boolean, length: number, checked?: boolean): void;
  /** A stream this receiver did not see from its start. */
  joined(streamIdHex: string, offset: number): void;
  /**
   * A stream waits for streams queued ahead of it that have not come here: the receiver finds out
   * whether an earlier consumer wrote them (then notAhead()).
   */
  waiting?(streamIdHex: string, ahead: QueuedAhead[]): void;
}
