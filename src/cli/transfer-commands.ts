import {
  checkPipeName,
  DEFAULT_SEND_SETTINGS,
  DEFAULT_TIMINGS,
  displayName,
  PipeError,
  pipeTopics,
  receive,
  send,
} from '../client/index.js';
import { exitCodeForSignal } from './exit-codes.js';
import { modeFromStdin, stdinFileSize } from './input-mode.js';
import { say, stderrIsTerminal } from './messages.js';
import { brokerFlags, resolveBroker, type BrokerFlags } from './resolve-broker.js';
import { parseDuration } from './durations.js';
import { parseSize } from './size.js';
import { refuseTypo } from './command-typo.js';
import { ReceiveDisplay } from './receive-display.js';
import { DEFAULT_DISPLAY_TIMINGS, TransferDisplay } from './transfer-display.js';
import { rootFor } from './topic-root.js';

export interface TransferFlags extends BrokerFlags {
  name: string;
  quiet: boolean;
  follow: boolean;
  capacity?: string | undefined;
  frameSize?: string | undefined;
  topicPrefix?: string | undefined;
  senderTimeout?: string | undefined;
  reconnectFor?: string | undefined;
  signal: AbortSignal;
}

/**
 * How long to keep trying to get back to the broker: --reconnect-for, else SKYPIPE_RECONNECT_FOR,
 * else 5 minutes. Given either, the first connection is tried as long: a box that starts before
 * its network does waits for it; without, a wrong address is named at once.
 */
function reconnectTimings(flags: TransferFlags): { reconnectWindowMs: number; firstConnectWindowMs: number } {
  const text = flags.reconnectFor ?? process.env.SKYPIPE_RECONNECT_FOR;
  if (text === undefined) return { reconnectWindowMs: DEFAULT_TIMINGS.reconnectWindowMs, firstConnectWindowMs: 0 };
  const window = parseDuration(
    text,
    flags.reconnectFor === undefined ? 'SKYPIPE_RECONNECT_FOR' : '--reconnect-for',
    true,
  );
  return { reconnectWindowMs: window, firstConnectWindowMs: window };
}

/**
 * How long a receiver waits for a sender that lost its connection: by default as long as it would
 * itself keep trying to reconnect, so that it does not give up on a sender that is still trying.
 */
function senderTimeoutMs(text: string | undefined, reconnectWindow: number): number {
  if (text === undefined) return reconnectWindow;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0)
    throw new PipeError(`--sender-timeout: '${text}' is not a number of seconds`, 'usage');
  return seconds * 1000;
}

/** Smaller than this, a frame's header and topic outweigh its data. */
const SMALLEST_FRAME = 1024;

function frameSize(text: string): number {
  const bytes = parseSize(text, '--frame-size');
  if (bytes < SMALLEST_FRAME || bytes > DEFAULT_SEND_SETTINGS.frameBytes)
    throw new PipeError(`--frame-size: '${text}' is not between 1K and 1M`, 'usage');
  return bytes;
}

/** Sends standard input into the pipe as one stream. */
export async function sendCommand(flags: TransferFlags): Promise<number> {
  const settings = { ...DEFAULT_SEND_SETTINGS };
  if (flags.capacity !== undefined) settings.capacityBytes = parseSize(flags.capacity, '--capacity');
  if (flags.frameSize !== undefined) settings.frameBytes = frameSize(flags.frameSize);
  if (flags.follow)
    throw new PipeError('--follow is for receiving; a sender always sends until its input ends', 'usage');
  if (flags.senderTimeout !== undefined) throw new PipeError('--sender-timeout is for receiving', 'usage');
  const reconnect = reconnectTimings(flags);
  const target = await resolveBroker(flags);
  const topics = pipeTopics(flags.name, rootFor(flags, target));
  const size = stdinFileSize();
  const display =
    stderrIsTerminal() && !flags.quiet
      ? new TransferDisplay(
          (text) => process.stderr.write(text),
          size,
          DEFAULT_DISPLAY_TIMINGS,
          process.stdin.isTTY === true ? 'typed' : 'piped',
        )
      : null;
  let sentBytes = 0;
  try {
    await send({
      target,
      topics,
      input: process.stdin,
      settings,
      ...(size === undefined ? {} : { size }),
      events: {
        warn: display === null ? say : (message) => display.note(message),
        status: (message) => display?.note(message),
        progress: (bytes) => display?.progress(bytes),
        blocked: (isBlocked, unread) => display?.blocked(isBlocked, unread, displayName(flags.name)),
        stopped: (bytes) => (sentBytes = bytes),
      },
      timings: reconnect,
      signal: flags.signal,
    });
  } catch (error) {
    if (flags.signal.aborted) display?.interrupted(sentBytes);
    throw error;
  } finally {
    display?.finish();
  }
  return 0;
}

/** Receives one stream (or, with --follow, every stream) from the pipe onto standard output. */
export async function receiveCommand(flags: TransferFlags): Promise<number> {
  if (flags.capacity !== undefined) throw new PipeError('--capacity is set by the sender', 'usage');
  if (flags.frameSize !== undefined) throw new PipeError('--frame-size is set by the sender', 'usage');
  const reconnect = reconnectTimings(flags);
  const target = await resolveBroker(flags);
  const display = stderrIsTerminal() && !flags.quiet ? new ReceiveDisplay((text) => process.stderr.write(text)) : null;
  const shown =
    display === null
      ? {}
      : {
          status: (message: string) => display.note(message),
          waiting: (message: string) => display.waiting(message),
          written: (streamId: string, position: number, bytes: number) => display.written(streamId, position, bytes),
          sized: (streamId: string, bytes: number) => display.sized(streamId, bytes),
          completed: (streamId: string, checked: boolean) => display.completed(streamId, checked),
        };
  try {
    await receive({
      target,
      topics: pipeTopics(flags.name, rootFor(flags, target)),
      output: process.stdout,
      follow: flags.follow,
      timings: { ...reconnect, senderTimeoutMs: senderTimeoutMs(flags.senderTimeout, reconnect.reconnectWindowMs) },
      events: { warn: display === null ? say : (message) => display.note(message), ...shown },
      signal: flags.signal,
    });
    display?.finish();
  } catch (error) {
    if (flags.signal.aborted) display?.interrupted();
    throw error;
  } finally {
    display?.close();
  }
  return 0;
}

/** A signal stops the transfer cleanly (what was not written stays in the pipe); a second one ends at once. */
function interruptible(): { signal: AbortSignal; caught: () => NodeJS.Signals | null } {
  const controller = new AbortController();
  let caught: NodeJS.Signals | null = null;
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(name, () => {
      if (caught !== null) process.exit(exitCodeForSignal(name));
      caught = name;
      controller.abort();
      setTimeout(() => process.exit(exitCodeForSignal(name)), 3000).unref();
    });
  }
  return { signal: controller.signal, caught: () => caught };
}

/** Runs `skypipe [send|recv]` with the parsed arguments; a signal ends it with the signal's exit code. */
export async function transfer(mode: 'send' | 'receive' | 'auto', argv: Record<string, unknown>): Promise<number> {
  const { signal, caught } = interruptible();
  const flags: TransferFlags = {
    name: checkPipeName(argv.name === undefined ? '' : String(argv.name)),
    quiet: argv.quiet === true,
    follow: argv.follow === true,
    capacity: argv.capacity as string | undefined,
    frameSize: argv['frame-size'] as string | undefined,
    topicPrefix: argv['topic-prefix'] as string | undefined,
    senderTimeout: argv['sender-timeout'] as string | undefined,
    reconnectFor: argv['reconnect-for'] as string | undefined,
    ...brokerFlags(argv),
    signal,
  };
  if (mode === 'auto') refuseTypo(flags.name, stderrIsTerminal());
  const resolved = mode === 'auto' ? modeFromStdin() : mode;
  try {
    return resolved === 'send' ? await sendCommand(flags) : await receiveCommand(flags);
  } catch (error) {
    const signalName = caught();
    if (signalName !== null) return exitCodeForSignal(signalName);
    throw error;
  }
}
