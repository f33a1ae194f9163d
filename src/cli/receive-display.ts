import { formatBytes, formatDuration, formatRate } from './byte-units.js';

/** What is on the cursor's line. */
type Line =
  /** Nothing of ours on the cursor's line. */
  | { kind: 'clear' }
  /** A status line left open, replaced by whatever comes next. */
  | { kind: 'waiting'; message: string }
  /** The progress line, redrawn in place. */
  | { kind: 'progress' }
  /** The summary or the interruption is said: nothing more. */
  | { kind: 'ended' };

interface StreamSeen {
  position: number;
  size?: number;
  checked?: boolean;
}

/**
 * What a receiver shows on a terminal: the `waiting on …` line until data flows, then one progress
 * line redrawn in place (bytes, rate and, when the sender said how long its stream is, percent and
 * time left), and a summary at the end. Nothing when stderr is not a terminal.
 */
export class ReceiveDisplay {
  private line: Line = { kind: 'clear' };
  private readonly streams = new Map<string, StreamSeen>();
  private bytes = 0;
  /** When the first byte was written: the rate counts from there, not from the wait before. */
  private flowingSince: number | null = null;
  private lastStream: string | null = null;
  private lastDrawAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (text: string) => void,
    private readonly redrawMs = 250,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.drawIfFlowing(), redrawMs);
    this.timer.unref();
  }

  /** A status that lasts until data flows. */
  waiting(message: string): void {
    if (this.line.kind === 'ended') return;
    if (this.line.kind === 'progress') return this.note(message);
    this.write(`\r\x1b[Kskypipe: ${message}`);
    this.line = { kind: 'waiting', message };
  }

  /** A line of its own, above the progress line. */
  note(message: string): void {
    if (this.line.kind === 'waiting') this.write('\n');
    else if (this.line.kind === 'progress') this.write('\r\x1b[K');
    this.write(`skypipe: ${message}\n`);
    if (this.line.kind === 'progress') this.draw();
    else if (this.line.kind === 'waiting') this.line = { kind: 'clear' };
  }

  /** A stream's size, which may come after its first bytes: shown at once. */
  sized(streamId: string, bytes: number): void {
    const seen = this.stream(streamId);
    const news = seen.size === undefined;
    seen.size = bytes;
    if (news && this.line.kind === 'progress') this.draw();
  }

  written(streamId: string, position: number, bytes: number): void {
    if (this.line.kind === 'ended') return;
    this.stream(streamId).position = position;
    this.bytes += bytes;
    this.lastStream = streamId;
    this.flowingSince ??= this.now();
    if (this.line.kind !== 'progress' || this.now() - this.lastDrawAt >= this.redrawMs) this.draw();
  }

  completed(streamId: string, checked: boolean): void {
    this.stream(streamId).checked = checked;
  }

  /** The receive is over: one line of what it wrote, in how long, and whether the streams' checks passed. */
  finish(): void {
    if (this.line.kind === 'ended') return;
    const elapsed = this.flowingSince === null ? 0 : this.now() - this.flowingSince;
    const complete = [...this.streams.values()].filter((stream) => stream.checked !== undefined);
    const checked = complete.length > 0 && complete.every((stream) => stream.checked === true) ? ', checked' : '';
    this.end(
      `received ${formatBytes(this.bytes)} in ${formatDuration(elapsed)}${this.rate((rate) => ` (${rate})`)}${checked}`,
    );
  }

  /** Interrupted: what was written, and where the rest is. */
  interrupted(): void {
    if (this.line.kind === 'ended') return;
    this.end(`interrupted after writing ${formatBytes(this.bytes)}; what was not written stays in the pipe`);
  }

  /** Stops redrawing; a line left open is closed. */
  close(): void {
    clearInterval(this.timer);
    if (this.line.kind === 'waiting' || this.line.kind === 'progress') this.write('\n');
    this.line = { kind: 'ended' };
  }

  private end(message: string): void {
    clearInterval(this.timer);
    this.write(`\r\x1b[Kskypipe: ${message}\n`);
    this.line = { kind: 'ended' };
  }

  private stream(streamId: string): StreamSeen {
    let seen = this.streams.get(streamId);
    if (seen === undefined) {
      seen = { position: 0 };
      this.streams.set(streamId, seen);
    }
    return seen;
  }

  /** The rate since data began to flow, as ` at …` or ` (…)`; nothing before any time has passed. */
  private rate(shape: (rate: string) => string): string {
    const seconds = this.flowingSince === null ? 0 : (this.now() - this.flowingSince) / 1000;
    return seconds > 0 ? shape(formatRate(this.bytes / seconds)) : '';
  }

  private drawIfFlowing(): void {
    if (this.line.kind === 'progress') this.draw();
  }

  private draw(): void {
    this.lastDrawAt = this.now();
    this.line = { kind: 'progress' };
    this.write(
      `\r\x1b[Kskypipe: received ${formatBytes(this.bytes)}${this.ofSize()}${this.rate((rate) => ` at ${rate}`)}${this.left()}`,
    );
  }

  /** The share of the stream last written, when its sender said how long it is. */
  private ofSize(): string {
    const seen = this.lastStream === null ? undefined : this.streams.get(this.lastStream);
    if (seen?.size === undefined || seen.size === 0 || seen.position > seen.size) return '';
    return ` of ${formatBytes(seen.size)} (${Math.floor((seen.position / seen.size) * 100)}%)`;
  }

  private left(): string {
    const seen = this.lastStream === null ? undefined : this.streams.get(this.lastStream);
    const seconds = this.flowingSince === null ? 0 : (this.now() - this.flowingSince) / 1000;
    if (seen?.size === undefined || seen.position > seen.size || seconds <= 0 || this.bytes === 0) return '';
    return `, ${formatDuration(((seen.size - seen.position) / (this.bytes / seconds)) * 1000)} left`;
  }
}
