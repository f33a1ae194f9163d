/**
 * What a sender shows on a terminal: bytes, rate and total, redrawn on one line once a transfer
 * lasts over a second; and a line when the pipe is full. Nothing when stderr is not a terminal.
 */
const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 250;

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export class TransferDisplay {
  private readonly startedAt = Date.now();
  private bytes = 0;
  private shown = false;
  private lastDrawAt = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly write: (text: string) => void,
    private readonly totalBytes: number | undefined,
  ) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
  }

  progress(bytes: number): void {
    this.bytes = bytes;
    if (Date.now() - this.lastDrawAt >= REDRAW_MS) this.draw();
  }

  blocked(isBlocked: boolean, unreadBytes: number, pipe: string): void {
    if (isBlocked)
      this.note(`${pipe} is full (${formatBytes(unreadBytes)} not yet read); waiting for a receiver to read it`);
  }

  /** A line of its own, above the progress line. */
  note(message: string): void {
    this.clearLine();
    this.write(`skypipe: ${message}\n`);
  }

  finish(): void {
    clearInterval(this.timer);
    if (this.shown) {
      this.draw();
      this.write('\n');
    }
  }

  private clearLine(): void {
    if (this.shown) this.write('\r\x1b[K');
  }

  private draw(): void {
    const now = Date.now();
    const elapsed = now - this.startedAt;
    if (elapsed < SHOW_AFTER_MS) return;
    this.lastDrawAt = now;
    this.shown = true;
    const rate = this.bytes / (elapsed / 1000);
    const total = this.totalBytes !== undefined ? ` of ${formatBytes(this.totalBytes)}` : '';
    this.write(`\r\x1b[Kskypipe: sent ${formatBytes(this.bytes)}${total} at ${formatBytes(rate)}/s`);
  }
}
