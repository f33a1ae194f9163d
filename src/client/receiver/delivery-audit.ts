import { randomBytes } from 'node:crypto';
import type { SentStream } from '../../protocol/sender-record.js';
import { DEFAULT_TIMINGS, type Timings } from '../timings.js';

/**
 * After this many streams, once the mailbox is quiet, a consumer reads the records again: a burst
 * can make a broker drop their live copies too (Mosquitto's queue limit), and on some brokers
 * (aedes) a new subscription scans every retained message, so not more often.
 */
export const REREAD_AFTER_STREAMS = 100;
/**
 * Finds streams the broker dropped whole or in part, which no check on the frames that do arrive
 * can see (Mosquitto drops messages past its queue limit and still acknowledges them to the
 * sender). Each sender leaves a record of what it sent; a consumer that has a record of a stream it
 * has not written sends a sync marker through its own mailbox. The broker queues a session's
 * messages in order, so once the marker is back, every frame queued before it has been delivered:
 * a recorded stream whose end has not arrived by then is missing, all of it or its end. It gets as
 * long as a gap to turn up (a broker may send frames a taken-over connection held only later), and
 * is then reported dropped.
 */
export class DeliveryAudit {
  /** Streams whose sender finished, not yet written through by this consumer, with when their record came. */
  private readonly sent = new Map<string, { sent: SentStream; recordedAt: number }>();
  /** Streams written through their end (here or by an earlier consumer) or reported: a record of one again is only cleared. */
  private readonly settled = new Set<string>();
  /** Settled streams whose sender's record has not come yet. */
  private readonly awaiting = new Set<string>();
  /** Syncs on their way, by token: the streams they check. */
  private readonly syncs = new Map<string, string[]>();
  private readonly missingSince = new Map<string, number>();
  /**
   * What of each unsettled stream has arrived from the mailbox (not necessarily written yet: a slow
   * output holds frames back): some frames, or its end too.
   */
  private readonly arrived = new Map<string, 'some' | 'end'>();
  private lastSyncAt = -Infinity;
  /** Streams that began to arrive since the records were last read. */
  private streamsSinceRead = 0;
  /** Records of streams none of whose frames had arrived, since the records were last read. */
  private unseenRecordsSinceRead = 0;
  private lastReadAt: number | null = null;

  constructor(
    private readonly timings: Pick<
      Timings,
      'auditAfterMs' | 'syncRetryMs' | 'rereadAgainMs' | 'gapTimeoutMs'
    > = DEFAULT_TIMINGS,
  ) {}

  /** A sender's record of a finished stream; true when its records can be cleared (the stream is written). */
  recordSent(id: string, sent: SentStream, now: number): boolean {
    if (this.settled.has(id)) {
      this.awaiting.delete(id);
      return true;
    }
    if (!this.sent.has(id) && !this.arrived.has(id)) this.unseenRecordsSinceRead += 1;
    this.sent.set(id, { sent, recordedAt: this.sent.get(id)?.recordedAt ?? now });
    return false;
  }

  /** The record was cleared (its sender's Will): nothing more to check; true if this consumer wrote the stream. */
  recordCleared(id: string): boolean {
    this.untrack(id);
    return this.awaiting.delete(id);
  }

  /** This consumer wrote the stream through its end; true when its records can be cleared (its sender's record came). */
  streamWritten(id: string): boolean {
    const recorded = this.sent.has(id);
    this.forget(id);
    if (!recorded) this.awaiting.add(id);
    return recorded;
  }

  /** Whether this consumer wrote the stream and waits for its sender's record. */
  awaitsRecord(id: string): boolean {
    return this.awaiting.has(id);
  }

  /** The stream was written (here or earlier), or reported incomplete: nothing more to check. */
  forget(id: string): void {
    this.settled.add(id);
    this.untrack(id);
  }

  private untrack(id: string): void {
    this.sent.delete(id);
    this.missingSince.delete(id);
    this.arrived.delete(id);
  }

  /** A frame of the stream arrived from the mailbox: if the stream is missing a part, its clock starts again. */
  frameArrived(id: string, isEnd: boolean, now: number): void {
    if (this.settled.has(id)) return;
    if (!this.arrived.has(id)) this.streamsSinceRead += 1;
    if (isEnd) this.arrived.set(id, 'end');
    else if (!this.arrived.has(id)) this.arrived.set(id, 'some');
    if (this.missingSince.has(id)) this.missingSince.set(id, now);
  }

  /** Whether the records should be read again now (see REREAD_AFTER_STREAMS and the timings); counts from now if so. */
  rereadDue(now: number, lastDeliveryAt: number): boolean {
    if (now - lastDeliveryAt < this.timings.auditAfterMs) return false;
    const burst = this.streamsSinceRead >= REREAD_AFTER_STREAMS;
    const again = this.lastReadAt !== null && now - this.lastReadAt >= this.timings.rereadAgainMs;
    if (again && this.unseenRecordsSinceRead === 0) this.lastReadAt = null;
    if (!burst && !(again && this.unseenRecordsSinceRead > 0)) return false;
    this.streamsSinceRead = 0;
    this.unseenRecordsSinceRead = 0;
    this.lastReadAt = now;
    return true;
  }

  /** A token, when a sync should go now: a record has waited for its stream long enough, and the mailbox is quiet or followed. */
  syncDue(now: number, lastDeliveryAt: number, follow: boolean): string | null {
    const unchecked = [...this.sent.keys()].filter(
      (id) => !this.missingSince.has(id) && this.arrived.get(id) !== 'end',
    );
    const waited = unchecked.some((id) => now - this.sent.get(id)!.recordedAt >= this.timings.auditAfterMs);
    if (
      !waited ||
      (!follow && now - lastDeliveryAt < this.timings.auditAfterMs) ||
      now - this.lastSyncAt < this.timings.syncRetryMs
    )
      return null;
    const token = randomBytes(16).toString('hex');
    this.syncs.set(token, unchecked);
    this.lastSyncAt = now;
    return token;
  }

  /**
   * A sync marker came back. Of the streams it checked, one whose end has arrived is only waiting
   * to be written; one of which some frames arrived misses the rest. Returns null if the marker
   * is not one of ours, else the streams of which nothing arrived: missing, unless an earlier
   * consumer wrote them (the caller asks their progress records).
   */
  syncArrived(token: string, now: number): string[] | null {
    const checked = this.syncs.get(token);
    if (checked === undefined) return null;
    this.syncs.delete(token);
    this.lastSyncAt = -Infinity;
    const unwritten = checked.filter(
      (id) => this.sent.has(id) && !this.missingSince.has(id) && this.arrived.get(id) !== 'end',
    );
    for (const id of unwritten) if (this.arrived.has(id)) this.markMissing(id, now);
    return unwritten.filter((id) => !this.arrived.has(id));
  }

  markMissing(id: string, now: number): void {
    if (this.sent.has(id)) this.missingSince.set(id, now);
  }

  sentStream(id: string): SentStream | undefined {
    return this.sent.get(id)?.sent;
  }

  oldestMissingSince(): number | null {
    return this.missingSince.size === 0 ? null : Math.min(...this.missingSince.values());
  }

  /** While the connections were down nothing could arrive: the clocks start again. */
  restartClocks(now: number): void {
    for (const id of this.missingSince.keys()) this.missingSince.set(id, now);
  }

  /**
   * Streams missing longer than a gap may last: the broker dropped them (all of one, or its end).
   * They are forgotten here. One with frames still `queued` to be written waits until they are.
   */
  takeDropped(now: number, queued: (id: string) => boolean): Array<[string, SentStream]> {
    const dropped: Array<[string, SentStream]> = [];
    for (const [id, since] of this.missingSince) {
      if (now - since <= this.timings.gapTimeoutMs) continue;
      if (queued(id)) {
        this.missingSince.set(id, now);
        continue;
      }
      dropped.push([id, this.sent.get(id)!.sent]);
      this.forget(id);
    }
    return dropped;
  }
}
