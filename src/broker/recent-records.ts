/** The most records a RecentRecords keeps: some megabytes, for a queue this many frames deep. */
export const MAX_RECENT_RECORDS = 20_000;

/**
 * The small records the store wrote last, kept in memory so that the reads on a frame's way out
 * (its record when it is sent, its message id's when it is acknowledged) do not go to LevelDB,
 * where each costs a search of every table the key may be in. At most `max` of them, the oldest
 * dropped first; one not here is read from the store. Kept in step with what the store is asked
 * to write: an entry whose write fails is dropped, so the store stays the truth.
 */
export class RecentRecords<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly max = MAX_RECENT_RECORDS) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
