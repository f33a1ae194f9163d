import { Readable } from 'node:stream';
import type { Level } from 'level';
import type { LevelPersistence } from 'aedes-persistence-level';
import msgpack from 'msgpack-lite';

/** Where aedes-persistence-level keeps a retained message: this prefix and the topic, msgpack-encoded. */
const RETAINED_KEY_PREFIX = 'retained:';

const isExact = (pattern: string) => !pattern.includes('+') && !pattern.includes('#');

/**
 * aedes-persistence-level answers every SUBSCRIBE by reading and decoding every retained message
 * it holds. skypipe keeps one retained record per live stream and subscribes to single topics all
 * the time (presence, progress, echoes), so with many streams each subscribe got slower: a
 * thousand senders at once took minutes. A subscription without wildcards needs one key.
 */
export function lookUpExactRetainedTopics(persistence: LevelPersistence, db: Level<string, string>): void {
  const scanAll = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (patterns) => {
    if (!patterns.every(isExact)) return scanAll(patterns);
    return Readable.from(retainedAt(db, patterns));
  };
}

async function* retainedAt(db: Level<string, string>, topics: string[]): AsyncGenerator<unknown> {
  for (const topic of new Set(topics)) {
    const blob = await db.get<string, Buffer>(`${RETAINED_KEY_PREFIX}${topic}`, { valueEncoding: 'buffer' });
    if (blob !== undefined) yield msgpack.decode(blob);
  }
}
