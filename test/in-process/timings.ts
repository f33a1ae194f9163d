// The timings of the in-process tier's pipes.
import type { Timings } from '../../src/client/index.js';

/** Short times for a broker in this process: a scenario takes a second or two, not a minute. */
export const FAST_TIMINGS: Partial<Timings> = {
  // The claim keeps its default settle (200 ms): a consumer whose session another receiver took
  // must have connected again within it. At 50 ms, on a busy machine, two receivers started
  // together both claimed, took the session from each other over and over, and split the stream.
  listenInSettleMs: 100,
  receiverTickMs: 100,
  quietStreamMs: 300,
  senderTimeoutMs: 1000,
  gapTimeoutMs: 2000,
  stalledGapMs: 500,
  stalledGapRetryMs: 500,
  auditAfterMs: 300,
  syncRetryMs: 1000,
  rereadAgainMs: 1000,
  followRecordWaitMs: 100,
  mailboxQuietMs: 100,
  mailboxWaitMs: 1000,
  connectTimeoutMs: 5000,
  reconnectWindowMs: 10_000,
  reconnectEveryMs: 100,
};

/**
 * For the other brokers: the defaults, which each broker's own pace sets (NATS sends the frames a
 * closed connection held only after 30 s, for one), as the command line uses them.
 */
export const EXTERNAL_TIMINGS: Partial<Timings> = {};
