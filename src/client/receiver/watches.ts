import { parseSenderRecord } from '../../protocol/sender-record.js';
import type { Timings } from '../timings.js';

/** What the sender watch needs from the receiver. */
export interface SenderWatchHost {
  /** The sender topics' common start: what follows is the stream id. */
  senderTopicPrefix: string;
  /** Streams open but without a frame for `quietMs`. */
  quietStreams(now: number, quietMs: number): string[];
  /** A stream's retained sender record (null: none); fails if the connection closes meanwhile. */
  senderRecord(streamId: string): Promise<Buffer | null>;
  /** Gives up on a stream whose sender will not come back. */
  abandon(streamId: string, reason: string): void;
  /** A sender's record says how long its stream is. */
  sized(streamId: string, bytes: number): void;
  stopped(): boolean;
}

/**
 * What this receiver has heard of a sender that is connected, as its record `1` was published:
 * once, or again since (the sender refreshes it, so its silence means that it is gone), and when last.
 */
interface Heard {
  state: 'announced' | 'refreshing';
  at: number;
}

/**
 * For streams that have gone quiet, whether their sender is still connected: its retained sender
 * record, which its Will clears, and the record published again every so often while the sender
 * is alive. A sender gone longer than the sender timeout will not finish. The Will alone may come
 * minutes late: a broker that died with the sender publishes the Wills it stored only a few
 * heartbeats after it is back.
 */
export class SenderWatch {
  private checking = false;
  /** Quiet streams whose sender record was found cleared, and since when. */
  private readonly goneSince = new Map<string, number>();
  private readonly heard = new Map<string, Heard>();

  constructor(
    private readonly host: SenderWatchHost,
    private readonly timings: Pick<Timings, 'quietStreamMs' | 'senderTimeoutMs' | 'senderRefreshMs'>,
  ) {}

  /**
   * A message on the probe connection. A `1` the broker forwards as it is published (`live`) shows
   * that its sender is alive; a retained copy sent after a subscription says nothing of when it
   * was written. Only a sender heard twice counts as one that refreshes its record: one that does
   * not would seem gone while its stream is merely quiet.
   */
  recordArrived(topic: string, payload: Buffer, live: boolean, now: number): void {
    if (!topic.startsWith(this.host.senderTopicPrefix)) return;
    const streamId = topic.slice(this.host.senderTopicPrefix.length);
    const record = parseSenderRecord(payload);
    if (record?.state !== 'connected') return void this.heard.delete(streamId);
    if (record.size !== undefined) this.host.sized(streamId, record.size);
    if (!live) return;
    this.heard.set(streamId, { state: this.heard.has(streamId) ? 'refreshing' : 'announced', at: now });
  }

  /** While this receiver's connections are down it hears nothing: its clocks start again. */
  restartClocks(now: number): void {
    for (const heard of this.heard.values()) heard.at = now;
  }

  /** One round of checks; a round still under way makes this one a no-op. Fails as abandon() does. */
  async check(now: number): Promise<void> {
    if (this.checking || this.host.stopped()) return;
    this.checking = true;
    try {
      for (const id of this.host.quietStreams(now, this.timings.quietStreamMs)) {
        if (this.silent(id, now)) continue;
        // A connection lost meanwhile is being restored; the next check asks again.
        const record = await this.host.senderRecord(id).catch(() => undefined);
        if (record === undefined) return;
        if (record !== null && record.length > 0) {
          this.goneSince.delete(id);
          continue;
        }
        const since = this.goneSince.get(id) ?? now;
        this.goneSince.set(id, since);
        if (Date.now() - since >= this.timings.senderTimeoutMs) {
          this.goneSince.delete(id);
          const waited = Math.round((Date.now() - since) / 1000);
          this.host.abandon(id, `the sender lost its connection and has not come back for ${waited} s`);
        }
      }
    } finally {
      this.checking = false;
    }
  }

  /**
   * Gives up on a stream whose sender refreshes its record but has not been heard from for the
   * sender timeout and one refresh more (it lost its connection at most one refresh after it was
   * last heard). Says whether it did.
   */
  private silent(streamId: string, now: number): boolean {
    const heard = this.heard.get(streamId);
    const { senderTimeoutMs, senderRefreshMs } = this.timings;
    if (heard?.state !== 'refreshing' || now - heard.at < senderTimeoutMs + senderRefreshMs) return false;
    this.heard.delete(streamId);
    this.goneSince.delete(streamId);
    const waited = Math.round((now - heard.at) / 1000);
    this.host.abandon(streamId, `the sender has not been heard from for ${waited} s`);
    return true;
  }
}

/** What the stalled-gap watch needs from the receiver. */
export interface StalledGapHost {
  /** When the oldest gap in a stream, and the oldest missing stream, began; null where there is none. */
  gapsSince(): (number | null)[];
  /** Whether the mailbox connection is up, and nothing is being restored. */
  mailboxSteady(): boolean;
  /** Opens the mailbox connection again, cleanly, saying why. */
  reopenMailbox(why: string): void;
}

/**
 * Opens the mailbox connection again when a gap has stalled: on a new connection the broker sends
 * what is unacknowledged again, oldest first (MQTT-4.4.0-1). Frames held meanwhile are the same
 * bytes; the copies that come again are acknowledged with them.
 */
export class StalledGapWatch {
  private retries = 0;
  private lastAt = 0;

  constructor(
    private readonly host: StalledGapHost,
    private readonly timings: Pick<Timings, 'stalledGapMs' | 'stalledGapRetryMs' | 'stalledGapRetries'>,
  ) {}

  check(now: number): void {
    const open = this.host.gapsSince().filter((since) => since !== null);
    const since = open.length === 0 ? null : Math.min(...open);
    if (since === null) {
      this.retries = 0;
      this.lastAt = 0;
      return;
    }
    if (!this.host.mailboxSteady()) return;
    const { stalledGapMs, stalledGapRetryMs, stalledGapRetries } = this.timings;
    if (now - since < stalledGapMs || now - this.lastAt < stalledGapRetryMs || this.retries >= stalledGapRetries)
      return;
    this.retries += 1;
    this.lastAt = now;
    this.host.reopenMailbox('frames are missing from a stream; asking the broker for them again');
  }
}
