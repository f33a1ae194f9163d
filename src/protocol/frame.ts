/**
 * The wire format of one frame (see PROTOCOL.md). A 32-byte header, then the payload:
 *
 *   0  2  magic "SP"
 *   2  1  format version (1)
 *   3  1  type: 1 data, 2 end, 3 abort, 4 sync; plus 0x80 when a note of streams queued ahead
 *           starts the body (a stream's first frame; see QueuedAhead)
 *   4 16  stream id
 *  20  4  sequence number, from 0, big-endian
 *  24  8  byte offset in the stream of this frame's first payload byte, big-endian
 *  32  …  data: the bytes; end: SHA-256 of the whole stream (32 bytes); abort: UTF-8 reason;
 *           sync: nothing (a consumer's marker through its own mailbox; the stream id is its token)
 *
 * The end frame's offset is the stream's total length. The note: a count (1 to 32), then per
 * stream its id (16 bytes), the bytes of it queued ahead (8, big-endian) and a flag byte (1: its
 * end too).
 */
export const FRAME_VERSION = 1;
export const HEADER_BYTES = 32;
export const STREAM_ID_BYTES = 16;
const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x50; // 'P'
const NOTE_FLAG = 0x80;
/** At most this many streams are named in a note; a mailbox check is handed one delivery window of frames. */
export const MAX_QUEUED_AHEAD = 32;
const NOTE_ENTRY_BYTES = STREAM_ID_BYTES + 8 + 1;
/** The most a note adds to the frame that carries it. */
export const MAX_NOTE_BYTES = 1 + MAX_QUEUED_AHEAD * NOTE_ENTRY_BYTES;

/**
 * A stream that was queued in a pipe's mailbox ahead of a new stream, and how much of it: what the
 * new stream's sender saw when it checked the mailbox (PROTOCOL.md, "Streams queued ahead").
 * A consumer writes none of the new stream before it has written this much of the other one, so
 * buffered streams come out in the broker's order even from a broker that sends the frames the
 * check held back late (NATS).
 */
export interface QueuedAhead {
  streamId: string;
  /** Bytes of that stream queued ahead. */
  through: number;
  /** Its end was queued ahead too: the new stream waits until that stream has ended. */
  withEnd: boolean;
}

export type FrameType = 'data' | 'end' | 'abort' | 'sync';
const TYPE_CODES: Record<FrameType, number> = { data: 1, end: 2, abort: 3, sync: 4 };
const TYPES_BY_CODE = new Map<number, FrameType>(
  Object.entries(TYPE_CODES).map(([type, code]) => [code, type as FrameType]),
);

export interface Frame {
  type: FrameType;
  streamId: Buffer;
  seq: number;
  offset: number;
  payload: Buffer;
  /** Streams queued in the mailbox ahead of this one, when its sender found any (first frame only). */
  queuedAhead?: QueuedAhead[];
}

/** A frame's header fields: all but its body. */
export type FrameHeader = Omit<Frame, 'payload' | 'queuedAhead'>;

/**
 * Room for a frame whose payload is `payloadBytes` long: the payload goes at HEADER_BYTES, and
 * sealFrame then writes the header in front of it. A sender cuts its input straight into this,
 * so each payload byte is copied once on its way to the socket, not again into a frame.
 */
export function frameRoom(payloadBytes: number): Buffer {
  return Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
}

/** Writes the header into the room at the front of `room` (see frameRoom), which becomes the frame. */
export function sealFrame(room: Buffer, header: FrameHeader): Buffer {
  writeHeader(room, header, false);
  return room;
}

/** A frame in one allocation; the payload is copied in once. */
export function encodeFrame(frame: Frame): Buffer {
  const ahead = frame.queuedAhead ?? [];
  const noteBytes = ahead.length > 0 ? 1 + ahead.length * NOTE_ENTRY_BYTES : 0;
  const message = Buffer.allocUnsafe(HEADER_BYTES + noteBytes + frame.payload.length);
  writeHeader(message, frame, ahead.length > 0);
  if (ahead.length > 0) writeNote(message.subarray(HEADER_BYTES, HEADER_BYTES + noteBytes), ahead);
  frame.payload.copy(message, HEADER_BYTES + noteBytes);
  return message;
}

function writeHeader(message: Buffer, header: FrameHeader, withNote: boolean): void {
  message[0] = MAGIC_0;
  message[1] = MAGIC_1;
  message[2] = FRAME_VERSION;
  message[3] = TYPE_CODES[header.type] | (withNote ? NOTE_FLAG : 0);
  // Zeros after a short stream id, as when frames were built in zeroed memory.
  message.fill(0, 4 + header.streamId.copy(message, 4, 0, STREAM_ID_BYTES), 4 + STREAM_ID_BYTES);
  message.writeUInt32BE(header.seq, 20);
  message.writeBigUInt64BE(BigInt(header.offset), 24);
}

/** Why a message on a data topic is not a frame this version can use. */
export class FrameRejected extends Error {}

export function decodeFrame(message: Buffer): Frame {
  if (message.length < HEADER_BYTES)
    throw new FrameRejected(`${message.length}-byte message is shorter than a frame header`);
  if (message[0] !== MAGIC_0 || message[1] !== MAGIC_1) throw new FrameRejected('message is not a skypipe frame');
  if (message[2] !== FRAME_VERSION) {
    throw new FrameRejected(`frame format version ${message[2]} is not ${FRAME_VERSION}: upgrade skypipe on both ends`);
  }
  const type = TYPES_BY_CODE.get(message[3]! & ~NOTE_FLAG);
  if (type === undefined) throw new FrameRejected(`unknown frame type ${message[3]! & ~NOTE_FLAG}`);
  const offset = message.readBigUInt64BE(24);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameRejected('frame offset out of range');
  const frame: Frame = {
    type,
    streamId: message.subarray(4, 4 + STREAM_ID_BYTES),
    seq: message.readUInt32BE(20),
    offset: Number(offset),
    payload: message.subarray(HEADER_BYTES),
  };
  if ((message[3]! & NOTE_FLAG) !== 0) {
    const { entries, rest } = decodeNote(frame.payload);
    frame.queuedAhead = entries;
    frame.payload = rest;
  }
  if (type === 'end' && frame.payload.length !== 32) throw new FrameRejected('end frame without a SHA-256');
  return frame;
}

/** The frame in a message on a data topic, or why it is not one. */
export function readFrame(payload: Buffer | string): Frame | FrameRejected {
  try {
    return decodeFrame(Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
  } catch (error) {
    if (error instanceof FrameRejected) return error;
    throw error;
  }
}

/** Writes the note naming `entries` into `note`, which has exactly its length. */
function writeNote(note: Buffer, entries: QueuedAhead[]): void {
  note.fill(0);
  note[0] = entries.length;
  entries.forEach((entry, index) => {
    const at = 1 + index * NOTE_ENTRY_BYTES;
    Buffer.from(entry.streamId, 'hex').copy(note, at);
    note.writeBigUInt64BE(BigInt(entry.through), at + STREAM_ID_BYTES);
    note[at + STREAM_ID_BYTES + 8] = entry.withEnd ? 1 : 0;
  });
}

function decodeNote(body: Buffer): { entries: QueuedAhead[]; rest: Buffer } {
  const count = body[0] ?? 0;
  if (count < 1 || count > MAX_QUEUED_AHEAD)
    throw new FrameRejected(`a note of ${count} streams queued ahead (1 to ${MAX_QUEUED_AHEAD} allowed)`);
  const size = 1 + count * NOTE_ENTRY_BYTES;
  if (body.length < size) throw new FrameRejected('a note of streams queued ahead cut short');
  const entries: QueuedAhead[] = [];
  for (let index = 0; index < count; index += 1) {
    const at = 1 + index * NOTE_ENTRY_BYTES;
    const through = body.readBigUInt64BE(at + STREAM_ID_BYTES);
    const flags = body[at + STREAM_ID_BYTES + 8]!;
    if (through > BigInt(Number.MAX_SAFE_INTEGER) || flags > 1)
      throw new FrameRejected('a note of streams queued ahead out of range');
    entries.push({
      streamId: body.toString('hex', at, at + STREAM_ID_BYTES),
      through: Number(through),
      withEnd: flags === 1,
    });
  }
  return { entries, rest: body.subarray(size) };
}
