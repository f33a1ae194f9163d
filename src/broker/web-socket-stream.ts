import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/** Pieces up to this size are sent together; larger ones (payloads) go as they are, uncopied. */
const SMALL_PIECE_BYTES = 16 * 1024;

type Written = { chunk: Buffer };

/**
 * A WebSocket as a byte stream whose writes of one turn go out as few messages as they can:
 * mqtt-packet writes a packet in pieces (header, topic, id, payload) and corks the stream for the
 * turn (client-stream.ts corks it too), and ws's own stream sent each piece as a message of its own.
 */
export function webSocketStream(socket: WebSocket): Duplex {
  const stream = createWebSocketStream(socket);
  // ws's stream sends a chunk as it is, whatever its encoding says.
  const writeOne = stream._write.bind(stream) as (
    chunk: Buffer,
    encoding: string,
    done: (error?: Error | null) => void,
  ) => void;
  stream._writev = (chunks: Written[], callback: (error?: Error | null) => void) => {
    const messages = coalesce(chunks.map(({ chunk }) => chunk));
    let left = messages.length;
    let failure: Error | null = null;
    for (const message of messages)
      writeOne(message, 'buffer', (error?: Error | null) => {
        failure ??= error ?? null;
        if (--left === 0) callback(failure);
      });
  };
  return stream;
}

/** The pieces, with each run of small ones joined into one. */
export function coalesce(pieces: Buffer[]): Buffer[] {
  const messages: Buffer[] = [];
  let run: Buffer[] = [];
  const endRun = () => {
    if (run.length > 0) messages.push(run.length === 1 ? run[0]! : Buffer.concat(run));
    run = [];
  };
  for (const piece of pieces) {
    if (piece.length > SMALL_PIECE_BYTES) {
      endRun();
      messages.push(piece);
    } else run.push(piece);
  }
  endRun();
  return messages;
}
