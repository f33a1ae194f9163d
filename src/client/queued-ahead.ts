import { MAX_QUEUED_AHEAD, type Frame } from './frame.js';

/**
 * A stream that was queued in a pipe's mailbox ahead of a new stream, and how much of it: what the
 * new stream's sender saw when it checked the mailbox (PROTOCOL.md, "Streams queued ahead").
 * A consumer writes none of the new stream before it has written this much of the other one, so
 * buffered streams come out in the broker's order even from a broker that sends the frames the
 * check held back late (NATS).
 */
export interface QueuedAhead {
  streamId: string;
  /** Bytes of that stream queued ahead. */
  through: number;
  /** Its end was queued ahead too: the new stream waits until that stream has ended. */
  withEnd: boolean;
}

/** Collects what the frames handed to a mailbox check say about the streams queued there. */
export class QueuedAheadLog {
  private readonly streams = new Map<string, QueuedAhead>();

  /** One frame the check was handed; sync markers and foreign messages say nothing of the queue's streams. */
  saw(frame: Frame): void {
    if (frame.type === 'sync') return;
    const streamId = frame.streamId.toString('hex');
    const ended = frame.type !== 'data';
    const through = frame.offset + (ended ? 0 : frame.payload.length);
    const known = this.streams.get(streamId);
    if (known === undefined && this.streams.size >= MAX_QUEUED_AHEAD) return;
    this.streams.set(streamId, { streamId, through: Math.max(through, known?.through ?? 0), withEnd: ended || known?.withEnd === true });
  }

  get entries(): QueuedAhead[] {
    return [...this.streams.values()];
  }
}
