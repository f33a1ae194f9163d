import type { GroupCommit, WriteOp } from './group-commit.js';

/** How long, and how much, the queue's writes for connected sessions are held back (held-writes.ts). */
export interface HoldSettings {
  /** The longest a message is held before it is written. */
  holdMs: number;
  /** The most payload bytes held at once; past it, the oldest are written. */
  maxHeldBytes: number;
  /** The most messages held at once. */
  maxHeldMessages: number;
}

export const HOLD_DEFAULTS: HoldSettings = {
  holdMs: 500,
  maxHeldBytes: 64 * 1024 * 1024,
  maxHeldMessages: 10_000,
};

/** The writes that queue one message for one session, not yet asked of the store. */
interface Held {
  ops: WriteOp[];
  bytes: number;
  heldAt: number;
  settle(error?: unknown): void;
}

/**
 * The writes that queue a message for a connected session, held back for a moment: a receiver
 * that keeps up acknowledges the message before it would be written, and then it never is (its
 * writes are dropped, and no deletes are needed). What is not acknowledged in time, or does not
 * fit, is written, oldest first. A message's promise settles once it is written or acknowledged,
 * so its sender's PUBACK still says that the broker holds it safely or that it has arrived.
 * Held writes are written in the order they were held, each before any write asked for it later.
 */
export class HeldWrites {
  /** By `entryKey(session, ref)`, oldest first. */
  private readonly held = new Map<string, Held>();
  /** What the held writes would put, by store key: reads look here before the store. */
  private readonly values = new Map<string, Buffer | string>();
  private heldBytes = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly commits: GroupCommit,
    private readonly settings: HoldSettings = HOLD_DEFAULTS,
  ) {}

  /** Holds the writes that queue message `ref` for `session`; settles once written or acknowledged. */
  hold(session: string, ref: string, ops: WriteOp[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
      this.held.set(entryKey(session, ref), { ops: [...ops], bytes, heldAt: Date.now(), settle });
      this.heldBytes += bytes;
      this.remember(ops);
      this.writeOverflow();
      this.timer ??= setTimeout(() => this.writeExpired(), this.settings.holdMs);
    });
  }

  /** Adds `ops` to the held writes of `ref` for `session`; false if they are not held (write them). */
  append(session: string, ref: string, ops: WriteOp[]): boolean {
    const entry = this.held.get(entryKey(session, ref));
    if (entry === undefined) return false;
    entry.ops.push(...ops);
    this.remember(ops);
    return true;
  }

  /** `session` acknowledged `ref`: true if nothing of it was written (and now never will be). */
  acknowledged(session: string, ref: string): boolean {
    const entry = this.take(entryKey(session, ref));
    if (entry === undefined) return false;
    this.forget(entry.ops);
    entry.settle();
    return true;
  }

  /** What a held write puts at `key`, if one does. */
  valueAt(key: string): Buffer | string | undefined {
    return this.values.get(key);
  }

  /** Asks the store for every held write now; settles once they are written. */
  writeAll(): Promise<void> {
    return this.write([...this.held.keys()]);
  }

  private writeExpired(): void {
    this.timer = null;
    const due = Date.now() - this.settings.holdMs;
    const expired: string[] = [];
    for (const [key, entry] of this.held) {
      if (entry.heldAt > due) break;
      expired.push(key);
    }
    void this.write(expired);
    const oldest = this.held.values().next().value;
    if (oldest !== undefined)
      this.timer = setTimeout(
        () => this.writeExpired(),
        Math.max(0, oldest.heldAt + this.settings.holdMs - Date.now()),
      );
  }

  private writeOverflow(): void {
    const over: string[] = [];
    let bytes = this.heldBytes;
    let count = this.held.size;
    for (const [key, entry] of this.held) {
      if (bytes <= this.settings.maxHeldBytes && count <= this.settings.maxHeldMessages) break;
      over.push(key);
      bytes -= entry.bytes;
      count -= 1;
    }
    if (over.length > 0) void this.write(over);
  }

  /** Asks the store for the held writes of `keys` (oldest first), in one batch. */
  private async write(keys: string[]): Promise<void> {
    const entries: Held[] = [];
    const ops: WriteOp[] = [];
    for (const key of keys) {
      const entry = this.take(key)!;
      entries.push(entry);
      ops.push(...entry.ops);
    }
    if (entries.length === 0) return;
    try {
      await this.commits.write(ops);
      for (const entry of entries) entry.settle();
    } catch (error) {
      for (const entry of entries) entry.settle(error);
    } finally {
      // Until written, reads find the values here.
      for (const entry of entries) this.forget(entry.ops);
    }
  }

  /** Takes the held entry at `key` out of what is held; with nothing left, no expiry is due. */
  private take(key: string): Held | undefined {
    const entry = this.held.get(key);
    if (entry === undefined) return undefined;
    this.held.delete(key);
    this.heldBytes -= entry.bytes;
    if (this.held.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    return entry;
  }

  private remember(ops: WriteOp[]): void {
    for (const op of ops) {
      if (op.type === 'put') this.values.set(op.key, op.value);
      else this.values.delete(op.key);
    }
  }

  /** Drops what `ops` put, unless a later held write put something else there. */
  private forget(ops: WriteOp[]): void {
    for (const op of ops) if (op.type === 'put' && this.values.get(op.key) === op.value) this.values.delete(op.key);
  }
}

const entryKey = (session: string, ref: string): string => `${session}\u0000${ref}`;
