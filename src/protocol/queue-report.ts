import { isCount } from './counts.js';

/**
 * What skypipe's broker tells of the mailboxes under a topic root (PROTOCOL.md, "What waits in the
 * mailboxes"): a subscription to `<root>/%queued` is answered with the frames and bytes queued in
 * each pipe's mailbox session, by pipe level. Other brokers send nothing.
 */
export const QUEUE_LEVEL = '%queued';

/** The most pipes one answer lists; a report is one message, and must stay small. */
export const MAX_REPORTED_PIPES = 1000;

export interface QueuedInPipe {
  frames: number;
  bytes: number;
}

export const queueReportTopic = (root: string): string => `${root}/${QUEUE_LEVEL}`;

export function encodeQueueReport(pipes: Map<string, QueuedInPipe>): Buffer {
  return Buffer.from(JSON.stringify({ pipes: Object.fromEntries(pipes) }));
}

/** The report by pipe level; undefined for a payload that is no report (checked, it comes from the network). */
export function parseQueueReport(payload: Buffer): Map<string, QueuedInPipe> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const pipes = (value as { pipes?: unknown } | null)?.pipes;
  if (typeof pipes !== 'object' || pipes === null) return undefined;
  const report = new Map<string, QueuedInPipe>();
  for (const [level, entry] of Object.entries(pipes).slice(0, MAX_REPORTED_PIPES)) {
    const { frames, bytes } = (entry ?? {}) as { frames?: unknown; bytes?: unknown };
    if (isCount(frames) && isCount(bytes)) report.set(level, { frames, bytes });
  }
  return report;
}
