import { advertisedVersion, advertisementTopic } from '../protocol/advertisement.js';
import { decodePresence, type Presence } from '../protocol/presence.js';
import { parseProgress } from '../protocol/progress.js';
import { parseQueueReport, queueReportTopic, type QueuedInPipe } from '../protocol/queue-report.js';
import { parseSenderRecord } from '../protocol/sender-record.js';
import { decodePipeName, encodePipeName, pipeTopics } from '../protocol/topics.js';
import type { BrokerTarget } from './transport/broker-target.js';
import { connect, disconnect, randomClientId } from './transport/connection.js';
import { readRetainedMatching, roundTrip } from './transport/retained.js';
import { usesTls } from './transport/tls-trust.js';

/** How the broker answered. */
export interface BrokerStatus {
  connectMs: number;
  roundTripMs: number;
  mqtt: '3.1.1' | '5';
  tls: boolean;
  pinned: boolean;
  /** A skypipe broker's version (its advertisement); null for other brokers. */
  skypipe: string | null;
}

/** A pipe as its retained records show it. */
export interface PipeStatus {
  name: string;
  /** The receiver that consumes the pipe, or null. */
  consumer: Pick<Presence, 'host' | 'pid'> | null;
  /** Streams whose sender is connected now. */
  sending: number;
  /** Whole streams the broker holds that no consumer has written yet. */
  waiting: number;
  /** Their bytes not yet written by a consumer. */
  waitingBytes: number;
  /**
   * What the broker itself counts in the pipe's mailbox (skypipe's broker: frames and their bytes,
   * streams still being sent included); null where the broker does not say.
   */
  queued: QueuedInPipe | null;
}

/** A pipe's records, by pipe level. */
interface Records {
  presence?: Buffer;
  senders: Map<string, Buffer>;
  progress: Map<string, Buffer>;
}

/**
 * Connects to the broker, times a round trip, and reads the retained records of pipe `name` under
 * `root`, or of every pipe there when `name` is null (brokers that send retained messages for
 * wildcard subscriptions: ours and Mosquitto, not RabbitMQ).
 */
export async function readStatus(
  target: BrokerTarget,
  root: string,
  name: string | null,
): Promise<{ broker: BrokerStatus; pipes: PipeStatus[] }> {
  const started = performance.now();
  const clientId = randomClientId('probe');
  const { client } = await connect(target, { clientId, clean: true });
  try {
    const connectMs = tenths(performance.now() - started);
    const echo = pipeTopics('', root).echo(clientId);
    const timed = performance.now();
    await roundTrip(client, echo);
    const roundTripMs = tenths(performance.now() - timed);
    // The advertisement and the records in one exchange.
    const level = name === null ? '+' : encodePipeName(name);
    const found = await readRetainedMatching(
      client,
      [
        advertisementTopic(root),
        queueReportTopic(root),
        `${root}/${level}/p`,
        `${root}/${level}/s/+`,
        `${root}/${level}/a/+`,
      ],
      echo,
    );
    const advertised = found.get(advertisementTopic(root));
    const broker: BrokerStatus = {
      connectMs,
      roundTripMs,
      mqtt: target.protocolVersion === 5 ? '5' : '3.1.1',
      tls: usesTls(target.url),
      pinned: target.tls?.pin !== undefined,
      skypipe: advertised === undefined ? null : advertisedVersion(advertised),
    };
    const answered = found.get(queueReportTopic(root));
    const everyPipe = answered === undefined ? undefined : parseQueueReport(answered);
    const report = name === null ? everyPipe : onlyLevel(everyPipe, level);
    const pipes = pipesFrom(found, root, report);
    if (name !== null && !pipes.some((pipe) => pipe.name === name))
      pipes.push(idlePipe(name, report === undefined ? null : { frames: 0, bytes: 0 }));
    return { broker, pipes: pipes.sort((a, b) => a.name.localeCompare(b.name)) };
  } finally {
    await disconnect(client);
  }
}

function onlyLevel(report: Map<string, QueuedInPipe> | undefined, level: string) {
  const queued = report?.get(level);
  return report === undefined ? undefined : new Map(queued === undefined ? [] : [[level, queued]]);
}

function idlePipe(name: string, queued: QueuedInPipe | null = null): PipeStatus {
  return { name, consumer: null, sending: 0, waiting: 0, waitingBytes: 0, queued };
}

/**
 * Groups the records by pipe and counts them; topics that are no pipe's records are skipped. With
 * the broker's `report`, every pipe gets its mailbox's count (none queued: zero), and a pipe with
 * frames queued is listed even without records.
 */
function pipesFrom(
  found: Map<string, Buffer>,
  root: string,
  report: Map<string, QueuedInPipe> | undefined,
): PipeStatus[] {
  const byPipe = new Map<string, Records>();
  for (const level of report?.keys() ?? []) byPipe.set(level, { senders: new Map(), progress: new Map() });
  for (const [topic, payload] of found) {
    const [level, kind, streamId, ...rest] = topic.slice(root.length + 1).split('/');
    if (level === undefined || rest.length > 0) continue;
    const records: Records = byPipe.get(level) ?? { senders: new Map(), progress: new Map() };
    byPipe.set(level, records);
    if (kind === 'p' && streamId === undefined) records.presence = payload;
    else if (kind === 's' && streamId !== undefined) records.senders.set(streamId, payload);
    else if (kind === 'a' && streamId !== undefined) records.progress.set(streamId, payload);
  }
  const pipes: PipeStatus[] = [];
  for (const [level, records] of byPipe) {
    const name = decodePipeName(level);
    if (name === null) continue;
    const queued = report === undefined ? null : (report.get(level) ?? { frames: 0, bytes: 0 });
    const pipe = idlePipe(name, queued);
    const presence = records.presence === undefined ? null : decodePresence(records.presence, () => {});
    if (presence !== null) pipe.consumer = { host: presence.host, pid: presence.pid };
    for (const [streamId, payload] of records.senders) {
      const record = parseSenderRecord(payload);
      if (record?.state === 'connected') pipe.sending += 1;
      if (record?.state !== 'sent') continue;
      const progressPayload = records.progress.get(streamId);
      const written = progressPayload === undefined ? 0 : (parseProgress(progressPayload) ?? 0);
      pipe.waiting += 1;
      pipe.waitingBytes += Math.max(0, record.sent.length - written);
    }
    if (pipe.consumer !== null || pipe.sending > 0 || pipe.waiting > 0 || (queued?.frames ?? 0) > 0) pipes.push(pipe);
  }
  return pipes;
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;
