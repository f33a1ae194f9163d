import type { Aedes } from 'aedes';
import { DATA_LEVEL } from '../protocol/topics.js';
import { encodeQueueReport, MAX_REPORTED_PIPES, QUEUE_LEVEL, type QueuedInPipe } from '../protocol/queue-report.js';
import type { StoreAccounting } from './store-accounting.js';
import { answerSubscriptions } from './subscription-answers.js';

/**
 * Answers a subscription to `<root>/%queued` with what waits in the mailboxes of the pipes under
 * `root` (see queue-report.ts and subscription-answers.ts). A mailbox is the persistent session
 * that holds the filter `<root>/<pipe>/d`; the counts are the store's own (queued-messages.ts).
 * Only a subscription the access rules granted is answered, and no other user's session holds a
 * filter in that user's namespace.
 */
export function answerQueueSubscriptions(aedes: Aedes, accounting: StoreAccounting): void {
  const suffix = `/${QUEUE_LEVEL}`;
  answerSubscriptions(aedes, (topic) =>
    topic.endsWith(suffix) ? encodeQueueReport(queuedUnder(topic.slice(0, -suffix.length), accounting)) : null,
  );
}

function queuedUnder(root: string, { queued, subscriptions }: StoreAccounting): Map<string, QueuedInPipe> {
  const pipes = new Map<string, QueuedInPipe>();
  const prefix = `${root}/`;
  const dataSuffix = `/${DATA_LEVEL}`;
  for (const [session, frames] of queued.bySession()) {
    for (const filter of subscriptions.filtersOf(session)) {
      if (!filter.startsWith(prefix) || !filter.endsWith(dataSuffix)) continue;
      const level = filter.slice(prefix.length, -dataSuffix.length);
      if (level.includes('/') || level.includes('+') || level.includes('#')) continue;
      const before = pipes.get(level) ?? { frames: 0, bytes: 0 };
      pipes.set(level, { frames: before.frames + frames, bytes: before.bytes + queued.bytesOf(session) });
      if (pipes.size >= MAX_REPORTED_PIPES) return pipes;
    }
  }
  return pipes;
}
