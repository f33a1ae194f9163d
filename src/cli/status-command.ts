import {
  checkPipeName,
  describeTarget,
  PipeError,
  readStatus,
  type BrokerStatus,
  type BrokerTarget,
  type PipeStatus,
} from '../client/index.js';
import { describeBytes } from '../protocol/describe-bytes.js';
import { runningLocalSky } from './local-sky.js';
import { say } from './messages.js';
import { brokerFlags, configuredBroker, recordedTarget, type BrokerFlags } from './resolve-broker.js';
import { describeFailure } from './remedies.js';
import { rootFor } from './topic-root.js';

export interface StatusFlags extends BrokerFlags {
  /** One pipe; undefined for every pipe with records. */
  name: string | undefined;
  json: boolean;
  topicPrefix?: string | undefined;
}

/** What `skypipe status --json` prints. */
interface StatusReport {
  broker: { url: string; origin: string; answers: boolean; error?: string } & Partial<BrokerStatus>;
  pipes: PipeStatus[];
}

/** `skypipe status [NAME] [--json]`, from the parsed command line. */
export function status(argv: Record<string, unknown>): Promise<number> {
  return statusCommand({
    name: argv.name === undefined ? undefined : checkPipeName(String(argv.name)),
    json: argv.json === true,
    topicPrefix: argv['topic-prefix'] as string | undefined,
    ...brokerFlags(argv),
  });
}

/**
 * Which broker is in use and whether it answers, and what the pipes' retained records show: a
 * table for a person, JSON for a script. Exit 0 when the broker answers, 1 when not. It never
 * starts the local broker.
 */
export async function statusCommand(flags: StatusFlags): Promise<number> {
  const configured = await configuredBroker(flags);
  const local = configured === null ? await runningLocalSky() : null;
  const target: BrokerTarget | null = configured ?? (local === null ? null : recordedTarget(local, flags));
  if (target === null) {
    const error = "the local broker is not running; it starts by itself with the first 'skypipe send' or 'recv'";
    return report({ broker: { url: '', origin: 'the local broker', answers: false, error }, pipes: [] }, flags.json);
  }
  const origin =
    configured !== null ? target.origin : local?.served !== undefined ? "this machine's broker" : 'the local broker';
  const shown = { url: describeTarget(target), origin };
  try {
    const { broker, pipes } = await readStatus(target, rootFor(flags, target), flags.name ?? null);
    return report({ broker: { ...shown, answers: true, ...broker }, pipes }, flags.json);
  } catch (error) {
    if (!(error instanceof PipeError) || error.kind === 'usage') throw error;
    return report({ broker: { ...shown, answers: false, error: describeFailure(error) }, pipes: [] }, flags.json);
  }
}

function report(status: StatusReport, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else process.stdout.write(table(status));
  if (!status.broker.answers && !json) say(status.broker.error ?? 'the broker does not answer');
  return status.broker.answers ? 0 : 1;
}

const ms = (value: number | undefined) => `${(value ?? 0).toFixed(1)} ms`;

function table({ broker, pipes }: StatusReport): string {
  const lines = [`broker   ${broker.url === '' ? broker.origin : `${broker.url} (${broker.origin})`}`];
  if (!broker.answers) return `${lines.concat('answers  no').join('\n')}\n`;
  const tls = broker.tls ? `TLS${broker.pinned ? ', pinned' : ''}` : 'no TLS';
  const kind = broker.skypipe === null ? 'not a skypipe broker' : `skypipe broker ${broker.skypipe}`;
  lines.push(
    `answers  in ${ms(broker.roundTripMs)} (connected in ${ms(broker.connectMs)}); ${kind}; MQTT ${broker.mqtt}; ${tls}`,
  );
  if (pipes.length === 0)
    return `${lines.concat('pipes    none has a consumer, a sender or a stream waiting').join('\n')}\n`;
  // skypipe's broker counts what its mailboxes hold, streams still being sent included.
  const counted = pipes.some((pipe) => pipe.queued !== null);
  const rows = pipes.map((pipe) => [
    pipe.name === '' ? '(default)' : pipe.name,
    pipe.consumer === null ? 'nobody' : `${pipe.consumer.host} (pid ${pipe.consumer.pid})`,
    String(pipe.sending),
    pipe.waiting === 0
      ? 'none'
      : `${pipe.waiting} stream${pipe.waiting === 1 ? '' : 's'}, ${describeBytes(pipe.waitingBytes)}`,
    ...(counted ? [pipe.queued === null || pipe.queued.frames === 0 ? 'none' : describeBytes(pipe.queued.bytes)] : []),
  ]);
  const header = ['PIPE', 'CONSUMER', 'SENDING', 'WAITING', ...(counted ? ['QUEUED'] : [])];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return `${[...lines, '', line(header), ...rows.map(line)].join('\n')}\n`;
}
