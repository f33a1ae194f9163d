import { isCount } from './counts.js';

/**
 * The retained record on a stream's sender topic (PROTOCOL.md, "The sender record"): `1` (or the
 * stream's size) while the sender is connected; once the broker holds the whole stream, what it
 * sent, kept until a consumer has written the stream, so that a consumer can tell a stream the
 * broker dropped from one that was never sent.
 */
export type SenderRecord = { state: 'connected'; size?: number } | { state: 'sent'; sent: SentStream };

export interface SentStream {
  length: number;
  host: string;
  /** When the sender finished, by its own clock: for messages only. */
  at: string;
}

export const CONNECTED_RECORD = Buffer.from('1');

/**
 * The record while the sender is connected: `1`, or, when it knows how long its input is (a
 * regular file), JSON `{"size": <bytes>}`, for a receiver's progress display.
 */
export function encodeConnectedRecord(size: number | undefined): Buffer {
  return size === undefined ? CONNECTED_RECORD : Buffer.from(JSON.stringify({ size }));
}

export function encodeSentRecord(length: number, host: string, at: Date): Buffer {
  return Buffer.from(JSON.stringify({ sent: length, host, at: at.toISOString() }));
}

/** The record; null when cleared; undefined for a payload that is no record. */
export function parseSenderRecord(payload: Buffer): SenderRecord | null | undefined {
  if (payload.length === 0) return null;
  if (payload.equals(CONNECTED_RECORD)) return { state: 'connected' };
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { sent, host, at, size } = value as Record<string, unknown>;
    if (sent === undefined && isCount(size)) return { state: 'connected', size };
    if (!isCount(sent)) return undefined;
    return {
      state: 'sent',
      sent: {
        length: sent,
        host: typeof host === 'string' ? host.slice(0, 200) : '?',
        at: typeof at === 'string' ? at.slice(0, 40) : '?',
      },
    };
  } catch {
    return undefined;
  }
}
