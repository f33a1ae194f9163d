import { DEFAULT_TRANSPORT_TIMINGS, type TransportTimings } from './transport/timings.js';

/**
 * Every time a send or a receive waits for, in one object. A request may override any of them
 * (tests pass short ones); the defaults are what the command line uses.
 */
export interface Timings extends TransportTimings {
  /** How long a new consumer holds its first frames to see whether another receiver takes the mailbox back. */
  claimSettleMs: number;
  /** A receiver that lost a race for the mailbox tries again after this, and up to twice as long (at random). */
  claimRetryMs: number;
  /** A consumer publishes its presence record again this often: it shows that it is alive. */
  presenceRefreshMs: number;
  /**
   * A listener that has heard nothing from the consumer for this long (and written nothing yet)
   * takes its place: the consumer died where no Will could clear its record (a broker that went
   * down with it publishes stored Wills only minutes after it is back).
   */
  consumerSilentMs: number;
  /** How long a listener that joins mid-stream waits for earlier frames delivered out of order. */
  listenInSettleMs: number;
  /** How often a receiver checks its streams' gaps, senders and records. */
  receiverTickMs: number;
  /** A stream without frames this long has its sender checked. */
  quietStreamMs: number;
  /** How long a stream may stay open after its sender lost its connection, before it counts as incomplete. */
  senderTimeoutMs: number;
  /**
   * A sender publishes its record again this often while it sends, to show that it is alive; a
   * receiver that has heard it do so counts it gone once it has not been heard from for the sender
   * timeout and this long (a sender that died with the broker left a record only its Will clears,
   * and a broker that went down with it publishes the Wills it stored only minutes after it is back).
   */
  senderRefreshMs: number;
  /**
   * How long frames after a gap wait for the missing ones. Brokers may redeliver a session's queued
   * frames interleaved with live ones (aedes does), and NATS sends frames that a taken-over
   * connection did not acknowledge again only after its ack_wait (30 s by default), so a gap is
   * normal for a while; one that lasts longer than that means the broker dropped data. A stream
   * waiting for one queued ahead of it waits as long.
   */
  gapTimeoutMs: number;
  /**
   * A gap this old at a consumer may be one the broker will not fill: frames held after the gap fill
   * its delivery window (RabbitMQ sends 10 unacknowledged at a time), and the missing ones went back
   * to its queue behind them when a takeover closed the connection that had them.
   */
  stalledGapMs: number;
  /** How often, and how many times for one gap, the mailbox connection is opened again for it. */
  stalledGapRetryMs: number;
  stalledGapRetries: number;
  /**
   * How long a finished stream's record waits before a consumer checks that the stream has come,
   * and how long the mailbox must have delivered nothing first, unless the consumer follows: a
   * plain receive leaves the rest of the pipe unacknowledged, and markers sent while it is busy
   * would pile up in the queue behind it.
   */
  auditAfterMs: number;
  /** A sync not back by then may have been dropped with the rest (a full queue): another goes. */
  syncRetryMs: number;
  /**
   * A read that brought records of streams none of whose frames came may have come before the
   * burst's last records, or lost some of its own: another goes this long after it, until one brings
   * nothing new.
   */
  rereadAgainMs: number;
  /** A consumer that follows gives the live record of a stream it wrote this long to come, before reading it. */
  followRecordWaitMs: number;
  /** The sender's mailbox check waits for queued frames after its SUBACK until none has come for this long… */
  mailboxQuietMs: number;
  /** …and at most this long. */
  mailboxWaitMs: number;
}

export const DEFAULT_TIMINGS: Timings = {
  ...DEFAULT_TRANSPORT_TIMINGS,
  claimSettleMs: 200,
  claimRetryMs: 100,
  presenceRefreshMs: 30_000,
  consumerSilentMs: 75_000,
  listenInSettleMs: 300,
  receiverTickMs: 1000,
  quietStreamMs: 3000,
  senderTimeoutMs: DEFAULT_TRANSPORT_TIMINGS.reconnectWindowMs,
  senderRefreshMs: 10_000,
  gapTimeoutMs: 45_000,
  stalledGapMs: 3000,
  stalledGapRetryMs: 10_000,
  stalledGapRetries: 3,
  auditAfterMs: 3000,
  syncRetryMs: 30_000,
  rereadAgainMs: 10_000,
  followRecordWaitMs: 1000,
  mailboxQuietMs: 200,
  mailboxWaitMs: 2000,
};

/** The defaults with a request's overrides. */
export function timingsWith(overrides: Partial<Timings> | undefined): Timings {
  return { ...DEFAULT_TIMINGS, ...overrides };
}
