import { isCount } from './counts.js';

/** What a broker accepts, from an MQTT 5 CONNACK or a skypipe broker's advertisement. */
export interface BrokerLimits {
  maximumPacketSize?: number;
  /** Most QoS 1 publishes the broker takes from one client before it acknowledges any. */
  receiveMaximum?: number;
  /** Most unread bytes a stream should keep in a pipe (a skypipe broker's advertisement). */
  pipeCapacity?: number;
  /**
   * The broker answers the advertisement subscription of a resumed persistent session only after
   * every message queued for the session: its answer marks the end of the queue.
   */
  queueFirst?: boolean;
  /** The broker acknowledges a QoS 1 publish only once it is stored: a PUBACK means "stored". */
  acknowledgesStored?: boolean;
}

/**
 * What a skypipe broker says about itself to a client that subscribes to `<root>/%broker` (a level
 * no pipe name encodes to): a JSON object, sent as a retained message right after the SUBACK.
 *
 *   {"skypipe": "0.1.0", "maximumPacketSize": 2097152, "pipeCapacity": 33554432, "queueFirst": true,
 *    "acknowledgesStored": true}
 *
 * Other brokers hold nothing there, and the client keeps its own settings.
 */
export interface BrokerAdvertisement {
  /** The broker's skypipe version. */
  skypipe: string;
  /** Largest MQTT packet it reads; it closes the connection of a client that sends a larger one. */
  maximumPacketSize?: number;
  /** Most unread bytes a stream should keep in a pipe. */
  pipeCapacity?: number;
  /** Sent alone, just before the broker closes a sender's connection: why it takes no more of its stream. */
  refused?: string;
  /** With `refused`, when the publish refused was a frame: the first frame of its stream the pipe will not hold. */
  refusedFrame?: RefusedFrame;
  /** See BrokerLimits. */
  queueFirst?: boolean;
  /** See BrokerLimits. */
  acknowledgesStored?: boolean;
}

/** A frame by its stream (hex id), sequence number and offset, as its header says. */
export interface RefusedFrame {
  stream: string;
  seq: number;
  offset: number;
}

export const ADVERTISEMENT_LEVEL = '%broker';

export function advertisementTopic(root: string): string {
  return `${root}/${ADVERTISEMENT_LEVEL}`;
}

export function encodeAdvertisement(advertisement: BrokerAdvertisement): Buffer {
  return Buffer.from(JSON.stringify(advertisement));
}

const positive = (value: unknown): value is number => isCount(value) && value > 0;

/** The limits in an advertisement, or the broker's refusal; undefined for something that is not one. */
export function parseAdvertisement(
  payload: Buffer,
): (BrokerLimits & { refused?: string; refusedFrame?: RefusedFrame }) | undefined {
  const advertisement = advertisementIn(payload);
  if (advertisement === undefined) return undefined;
  const { maximumPacketSize, pipeCapacity, refused, refusedFrame, queueFirst, acknowledgesStored } = advertisement;
  const limits: BrokerLimits & { refused?: string; refusedFrame?: RefusedFrame } = {};
  const frame = refusedFrame as Partial<RefusedFrame> | undefined;
  if (
    typeof frame?.stream === 'string' &&
    /^[0-9a-f]{32}$/.test(frame.stream) &&
    isCount(frame.seq) &&
    isCount(frame.offset)
  )
    limits.refusedFrame = { stream: frame.stream, seq: frame.seq, offset: frame.offset };
  if (queueFirst === true) limits.queueFirst = true;
  if (acknowledgesStored === true) limits.acknowledgesStored = true;
  if (typeof refused === 'string') limits.refused = refused.slice(0, 300);
  if (positive(maximumPacketSize)) limits.maximumPacketSize = maximumPacketSize;
  if (positive(pipeCapacity)) limits.pipeCapacity = pipeCapacity;
  return limits;
}

/** The skypipe version an advertisement names; null for something that is not one. */
export function advertisedVersion(payload: Buffer): string | null {
  return advertisementIn(payload)?.skypipe.slice(0, 40) ?? null;
}

/** A JSON object with a `skypipe` version, its other fields unchecked; undefined for anything else. */
function advertisementIn(payload: Buffer): BrokerAdvertisement | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof (value as BrokerAdvertisement).skypipe !== 'string')
    return undefined;
  return value as BrokerAdvertisement;
}

/** The tighter of two sets of limits (a CONNACK's and an advertisement's). */
export function tighter(a: BrokerLimits, b: BrokerLimits): BrokerLimits {
  const merged: BrokerLimits = { ...a };
  for (const key of ['maximumPacketSize', 'receiveMaximum', 'pipeCapacity'] as const) {
    const value = b[key];
    if (value !== undefined) merged[key] = Math.min(value, a[key] ?? value);
  }
  return merged;
}
