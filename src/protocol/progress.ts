/**
 * The consumer's cursor in one stream (PROTOCOL.md, "Progress"): the byte count written so far,
 * in ASCII decimal, retained on the stream's progress topic. Senders read it for flow control; a
 * consumer that takes over after another stopped reads it to know where its part starts. An empty
 * retained message clears it when the stream ends.
 */
export function encodeProgress(consumedBytes: number): Buffer {
  return Buffer.from(String(consumedBytes));
}

/** The byte count; null for an empty (cleared) record; undefined for something that is no record. */
export function parseProgress(payload: Buffer): number | null | undefined {
  if (payload.length === 0) return null;
  const text = payload.toString('latin1');
  return /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}
