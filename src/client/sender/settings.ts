import type { BrokerLimits } from '../../protocol/advertisement.js';
import { PipeError } from '../../protocol/errors.js';
import { HEADER_BYTES, MAX_NOTE_BYTES } from '../../protocol/frame.js';

export interface SendSettings {
  frameBytes: number;
  /** Most bytes of this stream that may be sent but not yet written by a receiver. */
  capacityBytes: number;
  partialLineMs: number;
  /** Most frames published but not yet acknowledged by the broker. */
  maxFramesInFlight: number;
  /**
   * Most frames of this stream sent but not yet written by a receiver. Brokers may cap a session's
   * queue in messages and drop the rest (Mosquitto keeps 1,000 by default): 200 lets five senders
   * buffer in one pipe at once within that.
   */
  maxUnreadFrames: number;
}

export const DEFAULT_SEND_SETTINGS: SendSettings = {
  frameBytes: 1024 * 1024,
  capacityBytes: 32 * 1024 * 1024,
  partialLineMs: 1000,
  maxFramesInFlight: 16,
  maxUnreadFrames: 200,
};

/** Smallest frame payload worth sending: below it, the headers outweigh the data. */
const MIN_FRAME_BYTES = 1024;
/** QoS 1 publishes a sender makes besides frames (its record, echoes) that count against the broker's receive maximum. */
const OTHER_PUBLISHES = 4;

/**
 * Sizes frames, the in-flight window and the capacity to what the broker said it accepts (an MQTT 5
 * CONNACK, a skypipe broker's advertisement): a PUBLISH over its maximum packet size would make it
 * close the connection.
 */
export function fitToBroker(settings: SendSettings, limits: BrokerLimits, dataTopic: string): SendSettings {
  const fitted = { ...settings };
  if (limits.maximumPacketSize !== undefined) {
    // Fixed header (1 + up to 4 length bytes), topic (2 + bytes), packet id (2), no properties (1),
    // the frame header and the note a first frame may carry.
    const overhead = 5 + 2 + Buffer.byteLength(dataTopic) + 2 + 1 + HEADER_BYTES + MAX_NOTE_BYTES;
    const room = limits.maximumPacketSize - overhead;
    if (room < MIN_FRAME_BYTES) {
      throw new PipeError(
        `the broker takes MQTT packets of at most ${limits.maximumPacketSize} bytes, too small for skypipe's frames; raise its maximum packet size (Mosquitto: max_packet_size) to 64 KiB or more`,
      );
    }
    fitted.frameBytes = Math.min(settings.frameBytes, room);
  }
  if (limits.pipeCapacity !== undefined) fitted.capacityBytes = Math.min(settings.capacityBytes, limits.pipeCapacity);
  if (limits.receiveMaximum !== undefined) {
    fitted.maxFramesInFlight = Math.max(
      1,
      Math.min(settings.maxFramesInFlight, limits.receiveMaximum - OTHER_PUBLISHES),
    );
  }
  return fitted;
}

/** A broker that closed the connection `closes` times on a frame of `frameBytes`: it takes smaller packets than it says. */
export function framesTooLarge(closes: number, frameBytes: number): PipeError {
  return new PipeError(
    `the broker closed the connection ${closes} times in a row while a ${frameBytes}-byte frame was on its way, acknowledging nothing: ` +
      'it probably takes smaller packets',
    'error',
    { remedy: 'smaller-frames' },
  );
}
