import type { IPublishPacket } from 'mqtt';
import { FrameRejected, readFrame, type Frame } from '../../protocol/frame.js';

/** Which connection a delivery came on: the mailbox's (numbered by its link) or the receiver's own. */
export type Source = { from: 'mailbox'; connection: number } | { from: 'probe' };

export interface Inbound {
  packet: IPublishPacket;
  ack: () => void;
  source: Source;
  /** Decoded once, where it arrives; or why the message is not a frame, reported in its turn. */
  frame: Frame | FrameRejected;
}

/** What the queue needs from the receiver. */
export interface InboundHost {
  /** Whether mailbox frames may be handled: the receiver consumes (until then they wait). */
  consuming(): boolean;
  /** Whether the receiver listens in: only then do frames on its own connection count. */
  listening(): boolean;
  /** Whether a mailbox delivery came on the mailbox connection there is now. */
  isCurrentMailbox(connection: number): boolean;
  /** This receiver's sync marker came back on the mailbox connection there is now (its stream id is the token). */
  syncArrived(token: string): void;
  /** A frame (an end, or an abort, with `isEnd`) arrived from the mailbox. */
  mailboxFrameArrived(streamIdHex: string, isEnd: boolean): void;
  /** Handles one frame, or a message that is none, in arrival order. */
  handle(item: Inbound): Promise<void>;
  /** Runs after each drain: streams that were held back may be ready now. */
  drained(): Promise<void>;
  stopped(): boolean;
}

/**
 * The frames that have arrived and wait their turn, handled one at a time in arrival order. Frames
 * from a mailbox connection that has closed are dropped: the broker sends them again on the next.
 */
export class InboundQueue {
  private readonly items: Inbound[] = [];
  private draining = false;
  /** When the mailbox last delivered anything. */
  lastMailboxDeliveryAt = 0;

  constructor(private readonly host: InboundHost) {}

  /** A message on the data topic: frames and sync markers count where they arrive, ahead of those waiting to be written. */
  arrive(packet: IPublishPacket, ack: () => void, source: Source): void {
    const fromMailbox = source.from === 'mailbox';
    // Copies still on their way after a listener stopped listening in.
    if (!fromMailbox && !this.host.listening()) return ack();
    const frame = readFrame(packet.payload);
    if (fromMailbox) this.lastMailboxDeliveryAt = Date.now();
    if (!(frame instanceof FrameRejected)) {
      const streamId = frame.streamId.toString('hex');
      // The order of the streams in the mailbox is the consumer's concern; a listener starts where it joins.
      if (!fromMailbox) delete frame.queuedAhead;
      if (frame.type === 'sync') {
        ack();
        if (fromMailbox && this.host.isCurrentMailbox(source.connection)) this.host.syncArrived(streamId);
        return;
      }
      if (fromMailbox) this.host.mailboxFrameArrived(streamId, frame.type !== 'data');
    }
    this.items.push({ packet, ack, source, frame });
    void this.drain();
  }

  /** Whether a frame of the stream has arrived and waits here. */
  holds(streamIdHex: string): boolean {
    return this.items.some(
      ({ frame }) => !(frame instanceof FrameRejected) && frame.streamId.toString('hex') === streamIdHex,
    );
  }

  /** The lowest offset among a stream's frames waiting here, and `offset`. */
  lowestOffset(streamId: Buffer, offset: number): number {
    let lowest = offset;
    for (const { frame } of this.items) {
      if (!(frame instanceof FrameRejected) && frame.streamId.equals(streamId)) lowest = Math.min(lowest, frame.offset);
    }
    return lowest;
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.items.length > 0 && !this.host.stopped()) {
        const item = this.items[0]!;
        if (item.source.from === 'mailbox') {
          if (!this.host.isCurrentMailbox(item.source.connection)) {
            this.items.shift();
            continue;
          }
          if (!this.host.consuming()) break;
        }
        this.items.shift();
        await this.host.handle(item);
      }
      if (!this.host.stopped()) await this.host.drained();
    } finally {
      this.draining = false;
    }
  }
}
