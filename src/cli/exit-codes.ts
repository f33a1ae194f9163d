import { PipeError } from '../protocol/errors.js';

/** The exit codes skypipe documents (README, "Exit codes"). */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** A stream arrived incomplete or failed its integrity check. */
  incomplete: 3,
  /** 128 + SIGPIPE: the reader of our output went away. */
  outputClosed: 141,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof PipeError)) return EXIT.error;
  switch (error.kind) {
    case 'usage':
      return EXIT.usage;
    case 'incomplete':
      return EXIT.incomplete;
    case 'output-closed':
      return EXIT.outputClosed;
    default:
      return EXIT.error;
  }
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function exitCodeForSignal(signal: string): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 0);
}
