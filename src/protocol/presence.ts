/** The retained record of the receiver that consumes a pipe (PROTOCOL.md, "Sessions: the mailbox"). */
export interface Presence {
  id: string;
  host: string;
  pid: number;
}

export function encodePresence(presence: Presence): Buffer {
  return Buffer.from(JSON.stringify(presence));
}

/** Parses a presence record; an empty payload means nobody, and a foreign payload is reported. */
export function decodePresence(payload: Buffer, warn: (message: string) => void): Presence | null {
  if (payload.length === 0) return null;
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value === 'object' && value !== null && typeof (value as Presence).id === 'string') {
      const record = value as Partial<Presence>;
      return { id: record.id!, host: String(record.host ?? '?'), pid: Number(record.pid ?? 0) };
    }
  } catch {
    // fall through to the warning
  }
  warn('ignoring a foreign message on the presence topic');
  return null;
}
