import { MAX_QUEUED_AHEAD, type Frame, type QueuedAhead } from '../../protocol/frame.js';

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
    this.streams.set(streamId, {
      streamId,
      through: Math.max(through, known?.through ?? 0),
      withEnd: ended || known?.withEnd === true,
    });
  }

  get entries(): QueuedAhead[] {
    return [...this.streams.values()];
  }
}
