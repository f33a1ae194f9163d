import type { Frame } from '../../protocol/frame.js';
import { displayName, type PipeTopics } from '../../protocol/topics.js';
import type { DroppedStreams } from './dropped-streams.js';
import type { InboundQueue } from './inbound-queue.js';
import type { ReceiveEvents } from './request.js';
import type { AssemblerEvents } from './stream-state.js';
import type { StreamRecords } from './stream-records.js';

/** What the assembler's events need from the receiver. */
export interface AssemblerEventsHost {
  topics: PipeTopics;
  warn(message: string): void;
  /** The receive's caller, told what is written and how streams end. */
  events: Pick<ReceiveEvents, 'written' | 'completed'>;
  /** Whether the receiver consumes the pipe (or listens in). */
  consuming(): boolean;
  records: StreamRecords;
  dropped(): DroppedStreams;
  inbound(): InboundQueue;
  /** Streams named as queued ahead that nothing need wait for. */
  notAhead(streamIdHex: string): void;
  /** How long a listener that joins mid-stream waits for earlier frames delivered out of order. */
  listenInSettleMs: number;
}

/** How a receiver answers its assembler: where streams start, what it writes, how they end. */
export function assemblerEvents(host: AssemblerEventsHost): AssemblerEvents {
  const { topics, warn, records } = host;
  return {
    warn,
    startOf: (streamId, first) => (host.consuming() ? records.cursorOf(streamId) : firstLiveOffset(host, first)),
    joined: (_streamId, offset) =>
      warn(
        host.consuming()
          ? `continuing a stream at byte ${offset}, where an earlier receiver of ${displayName(topics.name)} stopped`
          : `listening in from byte ${offset} of a stream`,
      ),
    written: (streamId, consumed, frameBytes) => {
      records.reportProgress(streamId, consumed);
      host.events.written?.(streamId, consumed, frameBytes);
    },
    ended: (streamId, complete, length, checked = false) => {
      if (complete) host.events.completed?.(streamId, checked);
      // A listener leaves the records to the consumer.
      if (host.consuming()) host.dropped().streamEnded(streamId, complete, length);
    },
    waiting: (_streamId, ahead) =>
      void records.notQueuedAhead(ahead).then((released) => {
        for (const streamId of released) host.notAhead(streamId);
        void host.inbound().drain();
      }),
  };
}

/**
 * Where a listener starts in a stream it joins: the lowest offset that arrives within a moment,
 * because brokers may deliver frames slightly out of order.
 */
async function firstLiveOffset(host: AssemblerEventsHost, first: Frame): Promise<number> {
  if (first.offset === 0) return 0;
  await new Promise<void>((resolve) => setTimeout(resolve, host.listenInSettleMs));
  return host.inbound().lowestOffset(first.streamId, first.offset);
}
