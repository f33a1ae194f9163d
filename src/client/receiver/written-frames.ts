import type { Frame } from '../../protocol/frame.js';

/** How many of a stream's last written frames are remembered: more than a sender has in flight. */
const REMEMBERED = 256;

/**
 * Where and how long the last frames written of one stream were, by sequence number. A broker's
 * second copy of a frame matches what was written; a frame that does not (another at the same
 * sequence number or place) was written into the pipe by some other client, and the bytes written
 * for that place may be its and not the sender's.
 */
export class WrittenFrames {
  private readonly spans = new Map<number, { offset: number; length: number }>();

  note(frame: Frame): void {
    this.spans.set(frame.seq, { offset: frame.offset, length: frame.payload.length });
    if (this.spans.size > REMEMBERED) this.spans.delete(this.spans.keys().next().value!);
  }

  /**
   * Whether `frame`, which comes before the next byte to write (`nextSeq`), is not a copy of one
   * written: a later sequence number, or another place or length than the one written under its
   * number. A number too old to be remembered passes.
   */
  conflicts(frame: Frame, nextSeq: number | null): boolean {
    if (nextSeq !== null && frame.seq >= nextSeq) return true;
    const span = this.spans.get(frame.seq);
    return span !== undefined && (span.offset !== frame.offset || span.length !== frame.payload.length);
  }
}

/** Two frames at one place, or under one number, differ: what was written there may not be the sender's. */
export function conflictingFrames(frame: Frame): string {
  return (
    `two different frames came for byte ${frame.offset} of a stream (frame ${frame.seq}): another client ` +
    `with this pipe's credentials wrote into it, and the output may hold its bytes; the output is corrupt`
  );
}

/** Whether two frames at the same place are copies of one frame. */
export function sameFrame(a: Frame, b: Frame): boolean {
  return a.seq === b.seq && a.type === b.type && a.payload.equals(b.payload);
}
