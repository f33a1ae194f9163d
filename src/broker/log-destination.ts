import { writeSync } from 'node:fs';
import { textLine, type LogFormat } from './log-format.js';

/** Tries a line gets while standard output is a pipe that is full for the moment. */
const BUSY_TRIES = 1000;

/**
 * Standard output for the broker's log, one line at a time, written at once. A line that cannot be
 * written (a log file on a disk that filled up) is dropped and counted, never fatal and never
 * retried for ever: the broker must outlive its log, and the local broker's log file shares its
 * disk with the store. The count goes out with the next line that can be written.
 */
export class LogDestination {
  private dropped = 0;

  constructor(
    private readonly format: LogFormat = 'json',
    private readonly fd = 1,
  ) {}

  write(line: string): void {
    if (this.dropped > 0 && this.tryWrite(this.formatted(droppedNote(this.dropped)))) this.dropped = 0;
    if (!this.tryWrite(this.formatted(line))) this.dropped += 1;
  }

  private formatted(line: string): string {
    return this.format === 'text' ? textLine(line) : line;
  }

  private tryWrite(line: string): boolean {
    let bytes = Buffer.from(line);
    for (let tries = 0; bytes.length > 0;) {
      try {
        bytes = bytes.subarray(writeSync(this.fd, bytes));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++tries >= BUSY_TRIES) return false;
      }
    }
    return true;
  }
}

/** A line in the log's own format (pino's, at warn) saying how many lines were lost. */
function droppedNote(count: number): string {
  const note = { level: 40, time: Date.now(), pid: process.pid, name: 'skypipe-broker', dropped: count };
  return `${JSON.stringify({ ...note, msg: 'log lines could not be written (a full disk?) and were dropped' })}\n`;
}
