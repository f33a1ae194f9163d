/**
 * An error the user should read: one line naming the problem and the fix.
 * `kind` decides the exit code at the command line.
 */
export type FailureKind = 'error' | 'usage' | 'incomplete' | 'output-closed';

export class PipeError extends Error {
  readonly kind: FailureKind;

  constructor(message: string, kind: FailureKind = 'error') {
    super(message);
    this.name = 'PipeError';
    this.kind = kind;
  }
}
