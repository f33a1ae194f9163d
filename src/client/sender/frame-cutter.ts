/**
 * Coalesces what a sender reads into frames by Nagle's rule at the frame level: complete lines go
 * at once while fewer than LINES_WAIT_AT frames are in flight, and from then on they gather until a
 * broker acknowledgement comes back or a frame is full. A lone line costs no wait; a busy `tail -f`
 * or a bulk copy becomes a few large frames. Frames end at a newline where the data has one, so a
 * receiver that aggregates several senders never tears a line. A partial line waits for its
 * newline up to `partialLineMs` (then goes, for prompts and binary data).
 */
export interface CutterSettings {
  frameBytes: number;
  partialLineMs: number;
  /**
   * Bytes left free in front of each payload taken, for the frame header: the payload is copied
   * once, into the frame it goes in (see frameRoom). None by default.
   */
  headroom?: number;
  /** Frames the sender lets be in flight at once: with one, lines wait behind it. */
  maxFramesInFlight?: number;
  /** Memory for a frame of `size` bytes (see FramePool); fresh by default. */
  allocate?: (size: number) => Buffer;
}

interface Pending {
  chunk: Buffer;
  arrivedAt: number;
}

const NEWLINE = 0x0a;

/**
 * Frames in flight from which complete lines wait. Two, not one: a skypipe broker acknowledges a
 * frame only once it is stored or its receiver has written it, so the next line of a paced stream
 * usually arrives while the acknowledgement of the line before is still on its way. Waiting for
 * it would add that round trip to every line; two frames in flight are enough to gather behind.
 */
export const LINES_WAIT_AT = 2;

export class FrameCutter {
  private pending: Pending[] = [];
  private pendingBytes = 0;

  private readonly linesWaitAt: number;

  constructor(private readonly settings: CutterSettings) {
    this.linesWaitAt = Math.min(LINES_WAIT_AT, settings.maxFramesInFlight ?? LINES_WAIT_AT);
  }

  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer, now: number): void {
    if (chunk.length === 0) return;
    this.pending.push({ chunk, arrivedAt: now });
    this.pendingBytes += chunk.length;
  }

  /**
   * The caller held the input back for `ms` (the pipe was full, or the broker away): what is
   * pending waited for the caller, not for its newline, and its clock starts again. Otherwise a
   * partial line left over when a long outage began would go alone when it ended, and another
   * sender's line could come between its parts.
   */
  heldBack(ms: number): void {
    for (const item of this.pending) item.arrivedAt += ms;
  }

  /**
   * Milliseconds from `now` until a frame is due with `framesInFlight` frames unacknowledged:
   * 0 for complete lines with few in flight, a partial line's wait, or Infinity (nothing pending,
   * or lines waiting for an acknowledgement).
   */
  msUntilDue(now: number, framesInFlight: number): number {
    const oldest = this.pending[0];
    if (oldest === undefined) return Infinity;
    if (this.hasNewline()) return framesInFlight < this.linesWaitAt ? 0 : Infinity;
    return Math.max(0, oldest.arrivedAt + this.settings.partialLineMs - now);
  }

  /**
   * The next frame's payload if one is due, else null, after `headroom` free bytes in a buffer of
   * its own. `atEnd` flushes whatever is left.
   */
  take(now: number, atEnd: boolean, framesInFlight: number): Buffer | null {
    if (this.pendingBytes === 0) return null;
    const { frameBytes } = this.settings;
    if (this.pendingBytes >= frameBytes) return this.cut(this.lineAlignedLength(frameBytes));
    if (atEnd) return this.cut(this.pendingBytes);
    if (this.msUntilDue(now, framesInFlight) > 0) return null;
    return this.cut(this.lineAlignedLength(this.pendingBytes));
  }

  private hasNewline(): boolean {
    return this.pending.some(({ chunk }) => chunk.includes(NEWLINE));
  }

  /** The longest prefix of at most `limit` bytes that ends at a newline, or `limit` if none does. */
  private lineAlignedLength(limit: number): number {
    let seen = 0;
    let lastNewlineEnd = 0;
    for (const { chunk } of this.pending) {
      if (seen >= limit) break;
      const window = chunk.subarray(0, limit - seen);
      const at = window.lastIndexOf(NEWLINE);
      if (at >= 0) lastNewlineEnd = seen + at + 1;
      seen += window.length;
    }
    return lastNewlineEnd > 0 ? lastNewlineEnd : Math.min(limit, this.pendingBytes);
  }

  private cut(length: number): Buffer {
    const headroom = this.settings.headroom ?? 0;
    // A copy even of one whole chunk: the frame header goes in front of it.
    const taken = this.settings.allocate?.(headroom + length) ?? Buffer.allocUnsafe(headroom + length);
    let at = headroom;
    while (at < taken.length) {
      const head = this.pending[0]!;
      const copied = head.chunk.copy(taken, at, 0, taken.length - at);
      at += copied;
      if (copied === head.chunk.length) this.pending.shift();
      else head.chunk = head.chunk.subarray(copied);
    }
    this.pendingBytes -= length;
    return taken;
  }
}
