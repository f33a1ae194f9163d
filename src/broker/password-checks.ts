/** How many password checks run at once, wait, and how failures slow their source down. */
export interface PasswordCheckLimits {
  /** scrypt computations at once: each takes a core and 16 MiB for tens of milliseconds. */
  running: number;
  /** Checks waiting for a place, at most; past this a login is refused at once, cheaply. */
  waiting: number;
  /**
   * The longest a check may expect to wait for a place, from what recent checks took: a login
   * that would wait longer is refused at once (and its client comes back), rather than time out
   * while it waits.
   */
  longestWaitMs: number;
  /** The pause after a first failure, doubled after each one that follows… */
  firstDelayMs: number;
  /** …up to this. */
  longestDelayMs: number;
  /** Sources (addresses, user names) remembered at most; the oldest are forgotten first. */
  remembered: number;
}

export const DEFAULT_PASSWORD_CHECK_LIMITS: PasswordCheckLimits = {
  running: 2,
  waiting: 1024,
  longestWaitMs: 5_000,
  firstDelayMs: 250,
  longestDelayMs: 60_000,
  remembered: 10_000,
};

/** Why a check did not run: a source that failed recently must wait, or every place is taken. */
export type NotChecked = 'slowed-down' | 'busy';

type Outcome = boolean | NotChecked;

/** One computation, shared by every login that asks for the same user and password at once. */
interface SharedCheck {
  /** Logins still waiting for it: none left, and a check that has not started is dropped. */
  askers: number;
  outcome: Promise<Outcome>;
}

/** A check waiting for a place, and the sources it would be counted against. */
interface Waiting {
  sources: string[];
  check: SharedCheck;
  /** 'run' when it has its place, or why it never will. */
  decide(go: 'run' | NotChecked): void;
}

/** What a check is taken to cost until one has been timed. */
const FIRST_ESTIMATE_MS = 200;

/**
 * Bounds the cost of password checks: a few run at once, others wait while their wait is expected
 * to be short, and the rest are refused at once. A source address or user name that failed must
 * wait, twice as long after each failure in a row, before it is checked again, and checks of that
 * source already waiting are refused then; a success clears its count. Identical checks (the same
 * user and password, as a fleet reconnecting sends) share one computation.
 */
export class PasswordChecks {
  private running = 0;
  private readonly queue: Waiting[] = [];
  private readonly inFlight = new Map<string, SharedCheck>();
  /** Failures in a row, and until when the source must wait, by `a:ADDRESS` and `u:NAME`. */
  private readonly failures = new Map<string, { count: number; until: number }>();
  /** A moving average of how long a check holds its place. */
  private checkMs = FIRST_ESTIMATE_MS;

  constructor(
    private readonly limits: PasswordCheckLimits = DEFAULT_PASSWORD_CHECK_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `verify` for `key` (a digest of user and password) unless its sources must wait or the
   * broker is busy; records the outcome against `address` and `user`. A login whose connection
   * closes aborts `gone`, so that a check nobody waits for any more is not computed.
   */
  async check(
    address: string,
    user: string,
    key: string,
    verify: () => Promise<boolean>,
    gone?: AbortSignal,
  ): Promise<Outcome> {
    const sources = [`a:${address}`, `u:${user}`];
    if (this.mustWait(sources)) return 'slowed-down';
    let shared = this.inFlight.get(key);
    if (shared === undefined) {
      if (!this.hasRoom()) return 'busy';
      shared = this.start(sources, verify);
      this.inFlight.set(key, shared);
      const started = shared;
      void started.outcome.then(() => this.inFlight.delete(key));
    }
    const check = shared;
    check.askers += 1;
    gone?.addEventListener('abort', () => (check.askers -= 1), { once: true });
    const outcome = await check.outcome;
    if (outcome === true) sources.forEach((source) => this.failures.delete(source));
    if (outcome === false) sources.forEach((source) => this.failed(source));
    return outcome;
  }

  private mustWait(sources: string[]): boolean {
    const at = this.now();
    return sources.some((source) => (this.failures.get(source)?.until ?? 0) > at);
  }

  private hasRoom(): boolean {
    if (this.running < this.limits.running) return true;
    if (this.queue.length >= this.limits.waiting) return false;
    const expectedWaitMs = ((this.queue.length + 1) * this.checkMs) / this.limits.running;
    return expectedWaitMs <= this.limits.longestWaitMs;
  }

  private start(sources: string[], verify: () => Promise<boolean>): SharedCheck {
    const check: SharedCheck = { askers: 0, outcome: Promise.resolve(false) };
    check.outcome = (async (): Promise<Outcome> => {
      if (this.running < this.limits.running) this.running += 1;
      else {
        const go = await new Promise<'run' | NotChecked>((decide) => this.queue.push({ sources, check, decide }));
        if (go !== 'run') return go;
      }
      const startedAt = this.now();
      try {
        const ok = await verify().catch(() => false);
        // Before the place goes to the next check: it may be one of the sources just slowed down.
        if (!ok) this.refuseWaiting(sources);
        return ok;
      } finally {
        this.checkMs = 0.8 * this.checkMs + 0.2 * (this.now() - startedAt);
        this.running -= 1;
        this.startNext();
      }
    })();
    return check;
  }

  /** Gives a free place to the first waiting check someone still waits for. */
  private startNext(): void {
    while (this.running < this.limits.running) {
      const next = this.queue.shift();
      if (next === undefined) return;
      if (next.check.askers <= 0) {
        next.decide('busy');
        continue;
      }
      this.running += 1;
      next.decide('run');
    }
  }

  /** A source that just failed would be slowed down: its checks that wait are refused now, not computed later. */
  private refuseWaiting(sources: string[]): void {
    for (let index = this.queue.length - 1; index >= 0; index--) {
      const waiting = this.queue[index]!;
      if (!waiting.sources.some((source) => sources.includes(source))) continue;
      this.queue.splice(index, 1);
      waiting.decide('slowed-down');
    }
  }

  private failed(source: string): void {
    const count = (this.failures.get(source)?.count ?? 0) + 1;
    const delay = Math.min(this.limits.firstDelayMs * 2 ** (count - 1), this.limits.longestDelayMs);
    this.failures.delete(source);
    this.failures.set(source, { count, until: this.now() + delay });
    if (this.failures.size > this.limits.remembered) this.failures.delete(this.failures.keys().next().value!);
  }
}
