/** Payload bytes deleted between two compactions of the payload records. */
export const RECLAIM_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * LevelDB keeps a deleted record's bytes in its files until a compaction reaches them, which for
 * a queue that is written and drained all day can be a long time: the data directory grew by what
 * passed through it. Once enough payload bytes are deleted, this compacts the payload records'
 * range (what is still queued there is rewritten once, the deleted bytes dropped), one compaction
 * at a time, in the background.
 */
export class PayloadReclaimer {
  private deletedSinceCompaction = 0;
  private state: { kind: 'idle' } | { kind: 'compacting'; done: Promise<void> } = { kind: 'idle' };

  constructor(
    private readonly compact: () => Promise<void>,
    /** False while the store cannot write (a full disk): a compaction writes too. */
    private readonly mayCompact: () => boolean,
    private readonly everyBytes = RECLAIM_EVERY_BYTES,
  ) {}

  /** The store deleted `bytes` of payloads. */
  deleted(bytes: number): void {
    this.deletedSinceCompaction += bytes;
    if (this.deletedSinceCompaction < this.everyBytes || this.state.kind !== 'idle' || !this.mayCompact()) return;
    this.deletedSinceCompaction = 0;
    const done = this.compact()
      // A compaction that fails leaves the bytes for LevelDB's own compactions: nothing is lost.
      .catch(() => {})
      .finally(() => (this.state = { kind: 'idle' }));
    this.state = { kind: 'compacting', done };
  }

  /** Settles once no compaction runs: the store may close. */
  async stopped(): Promise<void> {
    if (this.state.kind === 'compacting') await this.state.done;
  }
}
