import { formatBytes, formatDuration, formatRate } from './byte-units.js';

/**
 * What a sender shows on a terminal: bytes, rate and total, redrawn on one line once a transfer
 * lasts over a second; and a line when the pipe is full. Nothing when stderr is not a terminal.
 * While a person types the input (stdin is a terminal too) nothing is redrawn over what is typed:
 * a hint to end with Ctrl-D first, a summary after.
 */
export interface DisplayTimings {
  /** The progress line appears once a transfer lasts this long. */
  showAfterMs: number;
  redrawMs: number;
  /**
   * A full pipe is mentioned once the sender has waited this long, and its end once the sender
   * has gone on this long: a receiver reading at full speed fills the pipe for an instant at each
   * frame, which is no wait worth a line.
   */
  waitNoticeMs: number;
}

export const DEFAULT_DISPLAY_TIMINGS: DisplayTimings = { showAfterMs: 1000, redrawMs: 250, waitNoticeMs: 1000 };

/** Where the input comes from: typed lines leave the cursor to the person typing. */
export type InputKind = 'typed' | 'piped';

export const TYPING_HINT = 'type lines to send; end with Ctrl-D (Ctrl-C stops and marks the stream incomplete)';

/** Whether the sender waits for room, as the user has been told. */
type WaitState =
  | { kind: 'flowing' }
  | { kind: 'maybe-waiting'; timer: NodeJS.Timeout }
  | { kind: 'waiting' }
  | { kind: 'maybe-going-on'; timer: NodeJS.Timeout };

export class TransferDisplay {
  private readonly startedAt = Date.now();
  private bytes = 0;
  private shown = false;
  private lastDrawAt = 0;
  private readonly timer: NodeJS.Timeout;
  private wait: WaitState = { kind: 'flowing' };
  /** Interrupted, and said so: nothing more to show. */
  private ended = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly totalBytes: number | undefined,
    private readonly timings: DisplayTimings = DEFAULT_DISPLAY_TIMINGS,
    private readonly input: InputKind = 'piped',
  ) {
    this.timer = setInterval(() => this.draw(), timings.redrawMs);
    this.timer.unref();
    if (input === 'typed') this.note(TYPING_HINT);
  }

  progress(bytes: number): void {
    this.bytes = bytes;
    if (Date.now() - this.lastDrawAt >= this.timings.redrawMs) this.draw();
  }

  blocked(isBlocked: boolean, unreadBytes: number, pipe: string): void {
    const later = (then: () => void) => setTimeout(then, this.timings.waitNoticeMs).unref();
    const wait = this.wait;
    if (isBlocked && wait.kind === 'flowing') {
      const message = `${pipe} is full (${formatBytes(unreadBytes)} not yet read); waiting for a receiver to read it`;
      this.wait = { kind: 'maybe-waiting', timer: later(() => this.said({ kind: 'waiting' }, message)) };
    } else if (isBlocked && wait.kind === 'maybe-going-on') {
      clearTimeout(wait.timer);
      this.wait = { kind: 'waiting' };
    } else if (!isBlocked && wait.kind === 'maybe-waiting') {
      clearTimeout(wait.timer);
      this.wait = { kind: 'flowing' };
    } else if (!isBlocked && wait.kind === 'waiting') {
      const message = `${pipe} has room again; sending`;
      this.wait = { kind: 'maybe-going-on', timer: later(() => this.said({ kind: 'flowing' }, message)) };
    }
  }

  private said(next: WaitState, message: string): void {
    this.wait = next;
    this.note(message);
  }

  /** A line of its own, above the progress line. */
  note(message: string): void {
    this.clearLine();
    this.write(`skypipe: ${message}\n`);
  }

  finish(): void {
    if (this.ended) return;
    this.stop();
    if (this.input === 'typed')
      this.note(`sent ${formatBytes(this.bytes)} in ${formatDuration(Date.now() - this.startedAt)}`);
    if (this.shown) {
      this.draw();
      this.write('\n');
    }
  }

  /** Interrupted: what went into the pipe, and what becomes of the stream. */
  interrupted(sentBytes: number): void {
    this.stop();
    this.note(
      sentBytes === 0
        ? 'interrupted before sending anything; the pipe holds nothing of this stream'
        : `interrupted after sending ${formatBytes(sentBytes)}; the stream is marked incomplete`,
    );
    this.ended = true;
  }

  private stop(): void {
    clearInterval(this.timer);
    if (this.wait.kind === 'maybe-waiting' || this.wait.kind === 'maybe-going-on') clearTimeout(this.wait.timer);
    this.wait = { kind: 'flowing' };
  }

  private clearLine(): void {
    if (this.shown) this.write('\r\x1b[K');
  }

  private draw(): void {
    const now = Date.now();
    const elapsed = now - this.startedAt;
    if (elapsed < this.timings.showAfterMs || this.input === 'typed') return;
    this.lastDrawAt = now;
    this.shown = true;
    const rate = this.bytes / (elapsed / 1000);
    const total = this.totalBytes !== undefined ? ` of ${formatBytes(this.totalBytes)}` : '';
    this.write(`\r\x1b[Kskypipe: sent ${formatBytes(this.bytes)}${total} at ${formatRate(rate)}`);
  }
}
