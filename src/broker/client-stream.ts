import { Duplex, pipeline, Writable } from 'node:stream';
import { PacketSizeGuard, PacketTooLarge } from './packet-size-guard.js';
import { MAX_TOPICS_PER_SUBSCRIBE } from './subscription-limits.js';

export interface ByteMeter {
  received(bytes: number): void;
  sent(bytes: number): void;
}

/**
 * A client's byte stream as the broker sees it: reads pass the packet guard, and the bytes each way
 * are counted. `refused` hears of a connection closed for an oversized packet or SUBSCRIBE.
 */
export function clientStream(
  stream: Duplex,
  maximumPacketSize: number,
  meter: ByteMeter,
  refused: (error: Error) => void,
): Duplex {
  const guard = new PacketSizeGuard(maximumPacketSize, meter.received, MAX_TOPICS_PER_SUBSCRIBE);
  pipeline(stream, guard, (error) => {
    if (error instanceof PacketTooLarge) refused(error);
  });
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      meter.sent(chunk.length);
      if (stream.write(chunk)) callback();
      else stream.once('drain', () => callback());
    },
    final(callback) {
      stream.end(callback);
    },
    destroy(error, callback) {
      stream.destroy(error ?? undefined);
      callback(error);
    },
  });
  return Duplex.from({ readable: guard, writable: out });
}
