/** How many password checks run at once, wait, and how failures slow their source down. */
export interface PasswordCheckLimits {
  /** scrypt computations at once: each takes a core for about 50 ms and 32 MiB. */
  running: number;
  /** Checks waiting for a place; past this a login is refused at once, cheaply. */
  waiting: number;
  /** The pause after a first failure, doubled after each one that follows… */
  firstDelayMs: number;
  /** …up to this. */
  longestDelayMs: number;
  /** Sources (addresses, user names) remembered at most; the oldest are forgotten first. */
  remembered: number;
}

export const DEFAULT_PASSWORD_CHECK_LIMITS: PasswordCheckLimits = {
  running: 2,
  waiting: 32,
  firstDelayMs: 250,
  longestDelayMs: 60_000,
  remembered: 10_000,
};

/** Why a check did not run: a source that failed recently must wait, or every place is taken. */
export type NotChecked = 'slowed-down' | 'busy';

/**
 * Bounds the cost of password checks: a few run at once, a few more wait, and the rest are refused
 * at once. A source address or user name that failed must wait, twice as long after each failure in
 * a row, before it is checked again; a success clears its count. Identical checks (the same user
 * and password, as a fleet reconnecting sends) share one computation.
 */
export class PasswordChecks {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private readonly inFlight = new Map<string, Promise<boolean>>();
  /** Failures in a row, and until when the source must wait, by `a:ADDRESS` and `u:NAME`. */
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly limits: PasswordCheckLimits = DEFAULT_PASSWORD_CHECK_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `verify` for `key` (a digest of user and password) unless its sources must wait or the
   * broker is busy; records the outcome against `address` and `user`.
   */
  async check(
    address: string,
    user: string,
    key: string,
    verify: () => Promise<boolean>,
  ): Promise<boolean | NotChecked> {
    const sources = [`a:${address}`, `u:${user}`];
    const at = this.now();
    if (sources.some((source) => (this.failures.get(source)?.until ?? 0) > at)) return 'slowed-down';
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      if (this.running >= this.limits.running && this.queue.length >= this.limits.waiting) return 'busy';
      pending = this.run(verify).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const ok = await pending.catch(() => false);
    for (const source of sources) ok ? this.succeeded(source) : this.failed(source);
    return ok;
  }

  private async run(verify: () => Promise<boolean>): Promise<boolean> {
    if (this.running >= this.limits.running) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.running += 1;
    try {
      return await verify();
    } finally {
      this.running -= 1;
      this.queue.shift()?.();
    }
  }

  private failed(source: string): void {
    const count = (this.failures.get(source)?.count ?? 0) + 1;
    const delay = Math.min(this.limits.firstDelayMs * 2 ** (count - 1), this.limits.longestDelayMs);
    this.failures.delete(source);
    this.failures.set(source, { count, until: this.now() + delay });
    if (this.failures.size > this.limits.remembered) this.failures.delete(this.failures.keys().next().value!);
  }

  private succeeded(source: string): void {
    this.failures.delete(source);
  }
}
