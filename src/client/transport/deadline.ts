/**
 * One time limit over the steps of a connection attempt (the proxy's tunnel, a first handshake
 * for a pin, the TLS handshake and the CONNACK): each step gets what is left of it, so that a peer
 * that answers slowly at every step, or keeps a step alive a byte at a time, cannot stretch it.
 */
export class Deadline {
  private readonly at: number;

  constructor(readonly timeoutMs: number) {
    this.at = Date.now() + timeoutMs;
  }

  /** What is left, at least 1 ms: a timer of 0 would fire before its step begins. */
  leftMs(): number {
    return Math.max(1, this.at - Date.now());
  }

  /** The error of a step it cut off. */
  expired(what = 'no answer'): Error & { code: string } {
    return Object.assign(new Error(`${what} within ${this.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' });
  }
}
