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
    readonly started: boolean;
    abandon(streamId: string, reason: string, fix?: string): void;
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

  /** A stream is over. A complete one's records go once its sender's record is in; an incomplete one's at once. */
  streamEnded(streamId: string, complete: boolean): void {
    if (!complete) {
      this.audit.forget(streamId);
      return this.host.records.clear(streamId);
    }
    if (this.audit.streamWritten(streamId)) return this.host.records.clear(streamId);
    // A consumer that follows first gives a live record a moment to come.
    const wait = this.follow ? sleep(this.timings.followRecordWaitMs) : Promise.resolve();
    this.recordReads = Promise.all([wait, this.recordReads]).then(() => this.readSenderRecord(streamId));
  }

  /**
   * A record retained before this consumer subscribed may not have come: RabbitMQ sends retained
   * messages only to subscriptions without wildcards.
   */
  private async readSenderRecord(streamId: string): Promise<void> {
    if (!this.audit.awaitsRecord(streamId) || this.host.stopped()) return;
    // What comes goes to onSenderRecord, as everything on the probe does.
    await this.host.records.senderRecord(streamId).catch(() => null);
  }

  /** A sender's record of its stream, on the probe session while this receiver consumes. */
  onSenderRecord(topic: string, payload: Buffer): void {
    const prefix = this.topics.sender('');
    if (!topic.startsWith(prefix)) return;
    const streamId = topic.slice(prefix.length);
    const record = parseSenderRecord(payload);
    if (!/^[0-9a-f]{32}$/.test(streamId) || record === undefined)
      return this.host.warn(`ignoring a foreign message on ${topic}`);
    if (record === null) {
      // Its sender went away (its Will): a stream written meanwhile leaves no record.
      if (this.audit.recordCleared(streamId)) this.host.records.clearProgress(streamId);
    } else if (record.state === 'sent' && this.audit.recordSent(streamId, record.sent, Date.now())) {
      this.host.records.clear(streamId);
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
    const dropped = this.audit.takeDropped(now, (streamId) => this.host.queued(streamId));
    const { streams, records } = this.host;
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
