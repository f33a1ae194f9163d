/** How long the transport waits for the broker. The client's defaults object (timings.ts) holds these too. */
export interface TransportTimings {
  /** A connection attempt (its TLS handshake, then its CONNACK) that has no answer in this long fails. */
  connectTimeoutMs: number;
  /** How long a lost connection is tried again before the request fails. */
  reconnectWindowMs: number;
  /** Between two attempts to get a lost connection back. */
  reconnectEveryMs: number;
  /**
   * How long the first connection is tried before the request fails: 0 for one attempt, so that
   * a person at a terminal hears of a wrong address at once. A box started before its network is
   * up is given a window (the command line gives the reconnect window when one is asked for).
   */
  firstConnectWindowMs: number;
  /**
   * After a failure a wrong scheme can cause, how long to ask the port what it speaks, to say so
   * (scheme-mismatch.ts); 0 asks nothing.
   */
  schemeProbeMs: number;
}

export const DEFAULT_TRANSPORT_TIMINGS: TransportTimings = {
  connectTimeoutMs: 10_000,
  reconnectWindowMs: 5 * 60_000,
  reconnectEveryMs: 1000,
  firstConnectWindowMs: 0,
  schemeProbeMs: 1500,
};
