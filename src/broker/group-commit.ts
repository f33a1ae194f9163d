/** One write to the store: a put (a buffer or a string) or a delete. */
export type WriteOp = { type: 'put'; key: string; value: Buffer | string } | { type: 'del'; key: string };

/** What writes a batch of operations at once, atomically (a Level database's batch()). */
export type BatchWrite = (ops: WriteOp[]) => Promise<void>;

interface Waiting {
  ops: WriteOp[];
  callers: { resolve(): void; reject(error: unknown): void }[];
}

/**
 * Group commit: the writes asked for while one batch is being written go together in the next,
 * so a burst of frames costs one write to the store's log, not one each, and the store's own
 * order of operations is the order they were asked for. A write's promise settles once its
 * batch is written (or failed: every write in it fails with it); an empty write settles once
 * everything asked for before it has.
 */
export class GroupCommit {
  private state: 'idle' | 'writing' = 'idle';
  private next: Waiting = { ops: [], callers: [] };

  constructor(private readonly writeBatch: BatchWrite) {}

  /** Writes `ops` with whatever else is waiting; settles once they are in the store. */
  write(ops: WriteOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      for (const op of ops) this.next.ops.push(op);
      this.next.callers.push({ resolve, reject });
      // Started on the next microtask: the writes asked for in this one go along.
      if (this.state === 'idle') {
        this.state = 'writing';
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.next.callers.length > 0) {
      const batch = this.next;
      this.next = { ops: [], callers: [] };
      try {
        if (batch.ops.length > 0) await this.writeBatch(batch.ops);
        for (const caller of batch.callers) caller.resolve();
      } catch (error) {
        for (const caller of batch.callers) caller.reject(error);
      }
    }
    this.state = 'idle';
  }
}
