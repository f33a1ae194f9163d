/**
 * An error the user should read: one line naming the problem and the fix. `kind` decides the exit
 * code at the command line; 'interrupted' is a signal or an abort the caller asked for, which the
 * command line reports by the signal's exit code, not by a message. A wrapped error keeps its
 * `cause`, for debugging.
 */
export type FailureKind = 'error' | 'usage' | 'incomplete' | 'output-closed' | 'interrupted';

/**
 * What the user can do about a failure, when that depends on how skypipe is run: the library names
 * it, and the command line words it in its flags and variables (src/cli/remedies.ts).
 */
export type Remedy =
  | 'give-credentials'
  | 'give-password'
  | 'check-credentials'
  | 'trust-certificate'
  | 'name-or-pin'
  | 'smaller-frames'
  | 'check-proxy';

export class PipeError extends Error {
  readonly kind: FailureKind;
  readonly remedy: Remedy | undefined;

  constructor(message: string, kind: FailureKind = 'error', options?: { cause?: unknown; remedy?: Remedy }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipeError';
    this.kind = kind;
    this.remedy = options?.remedy;
  }
}

/** The request was aborted (a signal at the command line): what was not written stays in the pipe. */
export function interrupted(): PipeError {
  return new PipeError('interrupted', 'interrupted');
}
