import type { Timings } from '../timings.js';

/** What the sender watch needs from the receiver. */
export interface SenderWatchHost {
  /** Streams open but without a frame for `quietMs`. */
  quietStreams(now: number, quietMs: number): string[];
  /** A stream's retained sender record (null: none); fails if the connection closes meanwhile. */
  senderRecord(streamId: string): Promise<Buffer | null>;
  /** Gives up on a stream whose sender will not come back. */
  abandon(streamId: string, reason: string): void;
  stopped(): boolean;
}

/**
 * For streams that have gone quiet, whether their sender is still connected (its retained sender
 * record, which its Will clears). A sender gone longer than the sender timeout will not finish.
 */
export class SenderWatch {
  private checking = false;
  /** Quiet streams whose sender record was found cleared, and since when. */
  private readonly goneSince = new Map<string, number>();

  constructor(
    private readonly host: SenderWatchHost,
    private readonly timings: Pick<Timings, 'quietStreamMs' | 'senderTimeoutMs'>,
  ) {}

  /** One round of checks; a round still under way makes this one a no-op. Fails as abandon() does. */
  async check(now: number): Promise<void> {
    if (this.checking || this.host.stopped()) return;
    this.checking = true;
    try {
      for (const id of this.host.quietStreams(now, this.timings.quietStreamMs)) {
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
