import { encodeFrame, HEADER_BYTES, sealFrame, type FrameType, type QueuedAhead } from '../../protocol/frame.js';

/**
 * Numbers one stream's frames and builds each where its payload already is: in the room the
 * cutter left in front of it (see frameRoom), so that no payload is copied into a frame again.
 */
export class StreamFrames {
  /** The next frame's sequence number. */
  seq = 0;
  /** Streams the mailbox check found queued ahead of this one; the first frame names them. */
  queuedAhead: QueuedAhead[] = [];

  constructor(private readonly streamId: Buffer) {}

  /** The next frame, from `room`: HEADER_BYTES of room, then the payload, which starts at `offset` in the stream. */
  next(type: FrameType, room: Buffer, offset: number): { seq: number; frame: Buffer } {
    const header = { type, streamId: this.streamId, seq: this.seq, offset };
    this.seq += 1;
    // Only a first frame carries a note, whose size the room could not know: one more copy, once.
    const frame =
      header.seq === 0 && this.queuedAhead.length > 0
        ? encodeFrame({ ...header, payload: room.subarray(HEADER_BYTES), queuedAhead: this.queuedAhead })
        : sealFrame(room, header);
    return { seq: header.seq, frame };
  }

  /** An abort frame saying why, after the frames so far unless `seq` puts it in the place of an earlier one. */
  abort(reason: string, offset: number, seq = this.seq): Buffer {
    return encodeFrame({ type: 'abort', streamId: this.streamId, seq, offset, payload: Buffer.from(reason) });
  }
}
