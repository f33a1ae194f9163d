/**
 * Whether the broker's store takes writes: 'ok', or 'failing' from the first write it refused
 * (a full disk, an I/O error) until the broker has checked that it takes them again.
 */
export type StoreState =
  | { kind: 'ok' }
  | {
      kind: 'failing';
      /** One line for clients: what is wrong and what fixes it. */
      reason: string;
      /** The store's own error, for the broker's log (it names files on the broker's machine). */
      detail: string;
      since: Date;
    };

export type StoreChange = (state: StoreState, previous: StoreState) => void;

const DISK_FULL = "the broker's disk is full; free space on it (the broker resumes by itself), then send again";
const CANNOT_WRITE = "the broker cannot write to its store; its operator can see why in the broker's log";

/** Whether an error says the store could not write (as opposed to a missing key, or a caller's mistake). */
export function isStoreFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('LEVEL_') && code !== 'LEVEL_NOT_FOUND';
}

/** Thrown instead of writing while the store is failing: the write is refused, not attempted. */
export class StoreFailing extends Error {
  readonly code = 'LEVEL_STORE_FAILING';
}

/** The store's health, changed only by what happens to it; listeners hear each change once. */
export class StoreHealth {
  private current: StoreState = { kind: 'ok' };
  private readonly listeners: StoreChange[] = [];

  get state(): StoreState {
    return this.current;
  }

  /** Why the broker refuses what it would have to store; null while the store takes writes. */
  refusal(): string | null {
    return this.current.kind === 'failing' ? this.current.reason : null;
  }

  onChange(listener: StoreChange): void {
    this.listeners.push(listener);
  }

  /** A write failed: from now on the store is failing, until recovered() (the first failure names the cause). */
  failed(error: unknown): void {
    if (this.current.kind === 'failing') return;
    const detail = error instanceof Error ? error.message : String(error);
    const reason = /no space left on device|ENOSPC/i.test(detail) ? DISK_FULL : CANNOT_WRITE;
    this.change({ kind: 'failing', reason, detail, since: new Date() });
  }

  recovered(): void {
    if (this.current.kind === 'ok') return;
    this.change({ kind: 'ok' });
  }

  private change(next: StoreState): void {
    const previous = this.current;
    this.current = next;
    for (const listener of this.listeners) listener(next, previous);
  }
}
