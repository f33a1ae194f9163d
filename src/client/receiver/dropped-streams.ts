import type { MqttClient } from 'mqtt';
import { describeBytes } from '../../protocol/describe-bytes.js';
import { PipeError } from '../../protocol/errors.js';
import { encodeFrame } from '../../protocol/frame.js';
import { parseSenderRecord, type SentStream } from '../../protocol/sender-record.js';
import { displayName, type PipeTopics } from '../../protocol/topics.js';
import type { Timings } from '../timings.js';
import { publish } from '../transport/connection.js';
import { DeliveryAudit } from './delivery-audit.js';
import type { StreamRecords } from './stream-records.js';

/** What the dropped-stream check needs from the receiver. */
export interface DroppedStreamsHost {
  records: StreamRecords;
  /** The streams being written: what the check finds ends some of them. */
  streams: {
    notAhead(streamId: string): void;
    isOpen(streamId: string): boolean;
    /** Whether the next frame of the stream to write has come and waits its turn. */
    waitsItsTurn(streamId: string): boolean;
    readonly started: boolean;
    abandon(streamId: string, reason: string, fix?: string): void;
    endedWrong(streamId: string, message: string): void;
  };
  /** The mailbox connection while the receiver consumes and it is open; null otherwise. */
  consumerClient(): MqttClient | null;
  /** Subscribes to the sender records again: the broker sends the retained ones again (MQTT-3.8.4-3). */
  rereadRecords(): void;
  /** Whether a frame of the stream has arrived and waits to be written. */
  queued(streamId: string): boolean;
  /** When the mailbox last delivered anything. */
  lastDeliveryAt(): number;
  stopped(): boolean;
  /** Ends the receive with this error (a record showed the primary stream cut short). */
  fail(error: unknown): void;
  warn(message: string): void;
}

const QUEUE_LIMIT_FIX = 'raise its queue limit (Mosquitto: max_queued_messages 0)';

/**
 * A consumer's check for streams the broker dropped (see DeliveryAudit, its pure core): it follows
 * the sender records, sends sync markers through the mailbox, and reports what is missing. It
 * clears the records of the streams it is done with.
 */
export class DroppedStreams {
  private readonly audit: DeliveryAudit;
  /** Reads of sender records, one at a time (each listens on the probe connection); a receive finishes them before it leaves. */
  private recordReads: Promise<void> = Promise.resolve();
  /**
   * Streams written through their end whose length awaits its sender's record, with what to call
   * once it has come (or gone, with its sender): a forged end frame must not end a stream early.
   */
  private readonly unconfirmed = new Map<string, { length: number; confirmed: () => void }>();

  constructor(
    private readonly host: DroppedStreamsHost,
    private readonly topics: PipeTopics,
    private readonly follow: boolean,
    private readonly timings: Timings,
  ) {
    this.audit = new DeliveryAudit(timings);
  }

  /** A frame or end arrived from the mailbox. */
  frameArrived(streamId: string, isEnd: boolean, now: number): void {
    this.audit.frameArrived(streamId, isEnd, now);
  }

  /** While the connections are down nothing can arrive: the clocks start again. */
  restartClocks(now: number): void {
    this.audit.restartClocks(now);
  }

  oldestMissingSince(): number | null {
    return this.audit.oldestMissingSince();
  }

  /** Resolves once the sender records this consumer asked for have been read. */
  settled(): Promise<void> {
    return this.recordReads;
  }

  /**
   * A stream is over. A complete one's records go once its sender's record is in, and its length
   * must match the record's; an incomplete one's go at once.
   */
  streamEnded(streamId: string, complete: boolean, length: number): void {
    if (!complete) {
      this.audit.forget(streamId);
      return this.host.records.clear(streamId);
    }
    const recorded = this.audit.sentStream(streamId);
    if (this.audit.streamWritten(streamId)) {
      this.checkLength(streamId, length, recorded!);
      return this.host.records.clear(streamId);
    }
    let confirmed = () => {};
    const confirmation = new Promise<void>((resolve) => (confirmed = resolve));
    this.unconfirmed.set(streamId, { length, confirmed });
    // A consumer that follows first gives a live record a moment to come.
    const wait = this.follow ? sleep(this.timings.followRecordWaitMs) : Promise.resolve();
    this.recordReads = Promise.all([wait, this.recordReads]).then(() => this.confirm(streamId, confirmation));
  }

  /**
   * Waits for the sender's record of a stream written through its end: it comes live, and is read
   * again now and then (a record retained before this consumer subscribed may not have come:
   * RabbitMQ sends retained messages only to subscriptions without wildcards). A sender still
   * connected past the sender timeout sent more than its end frame said.
   */
  private async confirm(streamId: string, confirmation: Promise<void>): Promise<void> {
    const deadline = Date.now() + this.timings.senderTimeoutMs;
    const length = this.unconfirmed.get(streamId)?.length ?? 0;
    while (this.unconfirmed.has(streamId) && !this.host.stopped()) {
      // What comes goes to onSenderRecord, as everything on the probe does.
      const record = await this.host.records.senderRecord(streamId).catch(() => undefined);
      if (!this.unconfirmed.has(streamId)) return;
      if (record === undefined) return; // the connection was lost: nothing to tell from here
      const parsed = record === null ? null : parseSenderRecord(record);
      if (parsed === null || parsed === undefined) {
        // No record (a broker that keeps none, or a sender gone): the SHA-256 stands alone.
        this.unconfirmed.delete(streamId);
        return;
      }
      if (Date.now() >= deadline) {
        this.unconfirmed.delete(streamId);
        const waited = Math.round(this.timings.senderTimeoutMs / 1000);
        this.host.streams.endedWrong(
          streamId,
          `a stream's end came after ${describeBytes(length)}, but its sender was still sending ${waited} s later; the output is incomplete`,
        );
        return;
      }
      await Promise.race([confirmation, sleep(this.timings.quietStreamMs)]);
    }
  }

  /** The record of a stream this consumer wrote through its end: its length must be the stream's. */
  private checkLength(streamId: string, length: number, sent: SentStream): void {
    if (sent.length === length) return;
    this.host.streams.endedWrong(
      streamId,
      `${describeSent(sent)} ended after ${describeBytes(length)} here; the end was forged or the stream altered; the output is incomplete`,
    );
  }

  /** A sender's record of its stream, on the probe session while this receiver consumes. */
  onSenderRecord(topic: string, payload: Buffer): void {
    const prefix = this.topics.sender('');
    if (!topic.startsWith(prefix)) return;
    const streamId = topic.slice(prefix.length);
    const record = parseSenderRecord(payload);
    if (!/^[0-9a-f]{32}$/.test(streamId) || record === undefined)
      return this.host.warn(`ignoring a foreign message on ${topic}`);
    const unconfirmed = this.unconfirmed.get(streamId);
    if (record === null) {
      // Its sender went away (its Will): a stream written meanwhile leaves no record.
      if (this.audit.recordCleared(streamId)) this.host.records.clearProgress(streamId);
    } else if (record.state === 'sent' && this.audit.recordSent(streamId, record.sent, Date.now())) {
      if (unconfirmed !== undefined) {
        try {
          this.checkLength(streamId, unconfirmed.length, record.sent);
        } catch (error) {
          this.host.fail(error);
        }
      }
      this.host.records.clear(streamId);
    }
    if (unconfirmed !== undefined && (record === null || record.state === 'sent')) {
      this.unconfirmed.delete(streamId);
      unconfirmed.confirmed();
    }
  }

  /** Sends a sync marker when it is due, and reports the streams found dropped. */
  check(now: number): void {
    const client = this.host.consumerClient();
    if (client === null) return;
    const lastDeliveryAt = this.host.lastDeliveryAt();
    if (this.audit.rereadDue(now, lastDeliveryAt)) this.host.rereadRecords();
    const token = this.audit.syncDue(now, lastDeliveryAt, this.follow);
    if (token !== null) {
      const streamId = Buffer.from(token, 'hex');
      const marker = encodeFrame({ type: 'sync', streamId, seq: 0, offset: 0, payload: Buffer.alloc(0) });
      publish(client, this.topics.data, marker, { qos: 1 }).catch(() => {});
    }
    const { streams, records } = this.host;
    // Frames that came are written first, even those held behind a stream queued ahead that this
    // check finds dropped too: giving up on their stream would take them out of the pipe unwritten.
    const dropped = this.audit.takeDropped(now, (id) => this.host.queued(id) || streams.waitsItsTurn(id));
    for (const [streamId] of dropped) {
      records.clear(streamId);
      streams.notAhead(streamId);
    }
    // Streams dropped whole first, as warnings: giving up on a partial primary stream ends the receive.
    const whole = dropped.filter(([streamId]) => !streams.isOpen(streamId));
    whole.forEach(([, sent], index) => {
      const message = `the broker dropped ${describeSent(sent)} into ${displayName(this.topics.name)}: none of it arrived; ${QUEUE_LIMIT_FIX}`;
      // A receive that has written nothing fails with the last; the others are warnings.
      const last = index === whole.length - 1 && whole.length === dropped.length;
      if (last && !streams.started && !this.follow) throw new PipeError(message, 'incomplete');
      this.host.warn(message);
    });
    for (const [streamId, sent] of dropped) {
      if (streams.isOpen(streamId))
        streams.abandon(streamId, `the broker dropped the rest of ${describeSent(sent)}`, QUEUE_LIMIT_FIX);
    }
  }

  /**
   * Our sync marker is back: every frame queued before it has been delivered. A stream its sender
   * finished and this consumer has not seen is missing, unless an earlier consumer wrote it all.
   */
  syncArrived(token: string): void {
    // One time for all it finds missing, so that they are reported together.
    const at = Date.now();
    const unseen = this.audit.syncArrived(token, at);
    if (unseen === null) return;
    void (async () => {
      for (const streamId of unseen) {
        let written;
        try {
          written = await this.host.records.writtenBefore(streamId);
        } catch {
          return; // a connection lost meanwhile: the next sync asks again
        }
        const sent = this.audit.sentStream(streamId);
        if (sent === undefined) continue;
        if (typeof written === 'number' && written >= sent.length) {
          this.audit.forget(streamId);
          this.host.records.clear(streamId);
        } else this.audit.markMissing(streamId, at);
      }
    })();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeSent(sent: SentStream): string {
  return `a ${describeBytes(sent.length)} stream sent from ${sent.host} at ${sent.at}`;
}
