import msgpack from 'msgpack-lite';

/**
 * How the broker's disk store keeps what is queued for a persistent session (a pipe's mailbox),
 * in three kinds of records, so that a frame's payload is written once, as it came, and never
 * rewritten or re-encoded:
 *
 * - `queued:<session>:<ref>`: the packet without its payload (topic, QoS, the message id it was
 *   last sent with...) and the payload's length, msgpack-encoded; small, rewritten when the packet
 *   is sent with a new message id.
 * - `queued-payload:<session>:<ref>`: the payload's bytes, raw.
 * - `queued-id:<session>:<message id>`: the ref of the packet last sent with that message id, for
 *   the PUBACK that clears it.
 *
 * `<session>` is the client id, URI-encoded (so it holds no ':'); `<ref>` is the broker's id and
 * its counter, which order a session's queue as aedes-persistence-level's keys did.
 */
export const QUEUED = 'queued:';
export const QUEUED_PAYLOAD = 'queued-payload:';
export const QUEUED_ID = 'queued-id:';

/** The keys aedes-persistence-level used for the same (migrated on open: old-queue-migration.ts). */
export const OLD_OUTGOING = 'outgoing:';
export const OLD_OUTGOING_ID = 'outgoing-id:';

/** A packet queued for a session as aedes hands it to the store (aedes-packet's fields). */
export interface QueuedPacket {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  [field: string]: unknown;
}

/** Every key under `prefix` (which ends with ':'): ':' and ';' are neighbours, so nothing else sorts between. */
export const rangeUnder = (prefix: string) => ({ gte: prefix, lt: `${prefix.slice(0, -1)};` });

/** Counters padded so that keys sort as numbers (Number.MAX_SAFE_INTEGER has 16 digits). */
const pad = (counter: number | undefined): string => String(counter ?? 0).padStart(16, '0');

export const sessionPrefix = (kind: string, session: string): string => `${kind}${encodeURIComponent(session)}:`;

/** The ref of a packet aedes gave a broker id and counter. */
export const refOf = (packet: Pick<QueuedPacket, 'brokerId' | 'brokerCounter'>): string =>
  `${packet.brokerId ?? ''}:${pad(packet.brokerCounter)}`;

export const packetKey = (session: string, ref: string): string => `${sessionPrefix(QUEUED, session)}${ref}`;
export const payloadKey = (session: string, ref: string): string => `${sessionPrefix(QUEUED_PAYLOAD, session)}${ref}`;
export const idKey = (session: string, messageId: number): string =>
  `${sessionPrefix(QUEUED_ID, session)}${String(messageId).padStart(5, '0')}`;

/** The session and the ref in a key of one of the three kinds. */
export function parseKey(key: string): { session: string; ref: string } {
  const start = key.indexOf(':') + 1;
  const end = key.indexOf(':', start);
  return { session: decodeURIComponent(key.slice(start, end)), ref: key.slice(end + 1) };
}

/**
 * The fields aedes-persistence-level kept of a queued packet (aedes-packet's, as `new Packet(packet)`
 * copies them): what a packet carried on its way to the broker (its length, a callback) is not kept,
 * and the message id is given when the packet is sent.
 */
export function queuedFields(packet: QueuedPacket): QueuedPacket {
  const kept: QueuedPacket = {};
  for (const name of ['clientId', 'nl', 'properties', 'messageExpiry'])
    if (Object.hasOwn(packet, name)) kept[name] = packet[name];
  return {
    ...kept,
    cmd: packet.cmd ?? 'publish',
    brokerId: packet.brokerId,
    brokerCounter: packet.brokerCounter ?? 0,
    topic: packet.topic,
    qos: packet.qos ?? 0,
    retain: packet.retain ?? false,
    dup: packet.dup ?? false,
  };
}

/** What a `queued:` record holds. */
export interface PacketRecord {
  /** The packet's fields but its payload, with no undefined ones. */
  fields: Omit<QueuedPacket, 'payload'>;
  /** The payload's length; null for a packet without one (a PUBREL). */
  payloadBytes: number | null;
  /** Whether the payload was given as a string (the broker's own messages): it comes back as one. */
  text: boolean;
}

const defined = (packet: QueuedPacket): Omit<QueuedPacket, 'payload'> => {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(packet))
    if (name !== 'payload' && value !== undefined && typeof value !== 'function') fields[name] = value;
  return fields;
};

/** The payload as bytes: a buffer as it is (no copy), a string in UTF-8. */
export const payloadBytesOf = (packet: QueuedPacket): Buffer | null =>
  packet.payload === undefined ? null : Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);

/** `payloadBytes`: the length of the payload stored beside it; null for a packet without one. */
export function encodePacketRecord(packet: QueuedPacket, payloadBytes: number | null, text = false): Buffer {
  return msgpack.encode(text ? [defined(packet), payloadBytes, 1] : [defined(packet), payloadBytes]);
}

export function decodePacketRecord(value: Buffer): PacketRecord {
  const [fields, payloadBytes, text] = msgpack.decode(value) as [Omit<QueuedPacket, 'payload'>, number | null, 1?];
  return { fields, payloadBytes, text: text === 1 };
}

/** The packet again, from its record and its payload record (with a message id, given or not, as aedes-packet has). */
export function packetFrom(record: PacketRecord, payload: Buffer | undefined): QueuedPacket {
  const { fields } = record;
  const packet: QueuedPacket =
    record.payloadBytes === null
      ? { ...fields }
      : { ...fields, payload: record.text ? (payload?.toString() ?? '') : (payload ?? Buffer.alloc(0)) };
  if (!('messageId' in packet) && (fields.qos !== 0 || fields.cmd !== 'publish')) packet.messageId = undefined;
  return packet;
}
