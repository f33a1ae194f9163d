import type { Level } from 'level';

/** aedes-persistence-level keeps each message queued for a session under `outgoing:<client id, URI-encoded>:…`. */
const OUTGOING = 'outgoing:';

/** Messages queued per persistent session (client id), read from the store. */
export async function queuedMessagesBySession(db: Level<string, string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for await (const key of db.keys({ gte: OUTGOING, lt: 'outgoing;' })) {
    const encoded = key.slice(OUTGOING.length, key.indexOf(':', OUTGOING.length));
    const session = decodeURIComponent(encoded);
    counts.set(session, (counts.get(session) ?? 0) + 1);
  }
  return counts;
}
