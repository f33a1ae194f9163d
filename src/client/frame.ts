/**
 * The wire format of one frame (see PROTOCOL.md). A 32-byte header, then the payload:
 *
 *   0  2  magic "SP"
 *   2  1  format version (1)
 *   3  1  type: 1 data, 2 end, 3 abort, 4 sync
 *   4 16  stream id
 *  20  4  sequence number, from 0, big-endian
 *  24  8  byte offset in the stream of this frame's first payload byte, big-endian
 *  32  …  data: the bytes; end: SHA-256 of the whole stream (32 bytes); abort: UTF-8 reason;
 *           sync: nothing (a consumer's marker through its own mailbox; the stream id is its token)
 *
 * The end frame's offset is the stream's total length.
 */
export const FRAME_VERSION = 1;
export const HEADER_BYTES = 32;
export const STREAM_ID_BYTES = 16;
const MAGIC_0 = 0x53; // 'S'
const MAGIC_1 = 0x50; // 'P'

export type FrameType = 'data' | 'end' | 'abort' | 'sync';
const TYPE_CODES: Record<FrameType, number> = { data: 1, end: 2, abort: 3, sync: 4 };
const TYPES_BY_CODE = new Map<number, FrameType>(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as FrameType]));

export interface Frame {
  type: FrameType;
  streamId: Buffer;
  seq: number;
  offset: number;
  payload: Buffer;
}

export function encodeFrame(frame: Frame): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = MAGIC_0;
  header[1] = MAGIC_1;
  header[2] = FRAME_VERSION;
  header[3] = TYPE_CODES[frame.type];
  frame.streamId.copy(header, 4, 0, STREAM_ID_BYTES);
  header.writeUInt32BE(frame.seq, 20);
  header.writeBigUInt64BE(BigInt(frame.offset), 24);
  return Buffer.concat([header, frame.payload]);
}

/** Why a message on a data topic is not a frame this version can use. */
export class FrameRejected extends Error {}

export function decodeFrame(message: Buffer): Frame {
  if (message.length < HEADER_BYTES) throw new FrameRejected(`${message.length}-byte message is shorter than a frame header`);
  if (message[0] !== MAGIC_0 || message[1] !== MAGIC_1) throw new FrameRejected('message is not a skypipe frame');
  if (message[2] !== FRAME_VERSION) {
    throw new FrameRejected(`frame format version ${message[2]} is not ${FRAME_VERSION}: upgrade skypipe on both ends`);
  }
  const type = TYPES_BY_CODE.get(message[3]!);
  if (type === undefined) throw new FrameRejected(`unknown frame type ${message[3]}`);
  const offset = message.readBigUInt64BE(24);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameRejected('frame offset out of range');
  const frame: Frame = {
    type,
    streamId: message.subarray(4, 4 + STREAM_ID_BYTES),
    seq: message.readUInt32BE(20),
    offset: Number(offset),
    payload: message.subarray(HEADER_BYTES),
  };
  if (type === 'end' && frame.payload.length !== 32) throw new FrameRejected('end frame without a SHA-256');
  return frame;
}
