/**
 * The retained mailbox marker (PROTOCOL.md, "A lost mailbox"): set once the pipe's mailbox session
 * was created, so that a session the broker lost can be told from one that never existed.
 */
export const MAILBOX_MARKER = Buffer.from('1');

/** Whether a retained marker (null: none) says the mailbox was created. */
export function isMarkerSet(payload: Buffer | null): boolean {
  return payload !== null && payload.length > 0;
}
