import type { MqttClient } from 'mqtt';
import type { QueuedAhead } from '../../protocol/frame.js';
import { encodeProgress, parseProgress } from '../../protocol/progress.js';
import type { PipeTopics } from '../../protocol/topics.js';
import { ConnectionClosed } from '../transport/connection.js';
import type { Link } from '../transport/link.js';
import { readRetained } from '../transport/retained.js';

/** What the records need from the receiver. */
export interface RecordsHost {
  /** The receiver's own link, for reading retained records. */
  probe(): Pick<Link, 'client' | 'state' | 'settled'>;
  /** The mailbox connection while the receiver consumes and it is open; null otherwise. */
  consumerClient(): MqttClient | null;
  warn(message: string): void;
}

/**
 * A pipe's retained records of its streams, as a receiver reads and writes them: the consumer's
 * progress (its cursor in each stream) and each sender's record (PROTOCOL.md).
 */
export class StreamRecords {
  constructor(
    private readonly topics: PipeTopics,
    /** The receiver's private echo topic (see readRetained). */
    private readonly echo: string,
    private readonly host: RecordsHost,
  ) {}

  /**
   * Where an earlier consumer stopped in a stream (0 if none did). The mailbox connection may come
   * back from an outage before the probe connection: the read waits for it rather than fail the receive.
   */
  async cursorOf(streamId: string): Promise<number> {
    const probe = this.host.probe();
    let offset: number | null | undefined;
    for (;;) {
      await probe.settled();
      try {
        offset = await this.writtenBefore(streamId);
        break;
      } catch (error) {
        if (!(error instanceof ConnectionClosed) || probe.state === 'closed') throw error;
        // Closed just now: the link starts getting it back in a moment.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (offset === undefined) this.host.warn(`ignoring a foreign message on ${this.topics.progress(streamId)}`);
    return offset ?? 0;
  }

  /**
   * How much of a stream consumers have written, by its progress record: null if there is none,
   * undefined if it holds something else. Fails if the probe connection closes meanwhile.
   */
  async writtenBefore(streamId: string): Promise<number | null | undefined> {
    const retained = await readRetained(this.host.probe().client, this.topics.progress(streamId), this.echo);
    return retained === null ? null : parseProgress(retained);
  }

  /** A stream's sender record: null if there is none. What comes also goes to the probe's message listeners. */
  senderRecord(streamId: string): Promise<Buffer | null> {
    return readRetained(this.host.probe().client, this.topics.sender(streamId), this.echo);
  }

  /**
   * Streams named as queued ahead of one that has come, but not come themselves, that nothing need
   * wait for: their sender is gone without a record, or an earlier consumer wrote them that far.
   */
  async notQueuedAhead(ahead: QueuedAhead[]): Promise<string[]> {
    const released: string[] = [];
    for (const { streamId, through } of ahead) {
      try {
        const record = await this.senderRecord(streamId);
        const written = await this.writtenBefore(streamId);
        if (record === null || record.length === 0 || (typeof written === 'number' && written >= through))
          released.push(streamId);
      } catch {
        // A connection lost meanwhile: the stream waits its time out instead.
      }
    }
    return released;
  }

  /**
   * Sent before the frame's PUBACK on the same connection, so the broker records the cursor
   * before it forgets the frame: the next consumer knows where to start.
   */
  reportProgress(streamId: string, consumedBytes: number): void {
    this.publishProgress(streamId, encodeProgress(consumedBytes));
  }

  /** Clears a stream's progress after its sender went: a stream written meanwhile leaves no record. */
  clearProgress(streamId: string): void {
    this.publishProgress(streamId, Buffer.alloc(0));
  }

  /** Clears a stream's progress and sender records, after the progress that went before them. */
  clear(streamId: string): void {
    const client = this.host.consumerClient();
    if (client === null) return;
    this.clearProgress(streamId);
    client.publish(this.topics.sender(streamId), Buffer.alloc(0), { qos: 1, retain: true });
  }

  private publishProgress(streamId: string, payload: Buffer): void {
    this.host.consumerClient()?.publish(this.topics.progress(streamId), payload, { qos: 0, retain: true });
  }
}
