// Watches what a process writes on stdout, so that a figure waits for the bytes it expects rather
// than for a fixed time.
import type { Readable } from 'node:stream';

export class OutputWatch {
  private text = '';
  /** Where the text not yet consumed by next() starts. */
  private consumed = 0;
  private newlines = 0;
  private waiter: (() => void) | null = null;

  constructor(stream: Readable) {
    // Buffers, not setEncoding(): the harness keeps the same chunks as Buffers.
    stream.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.text += text;
      for (const character of text) if (character === '\n') this.newlines += 1;
      this.waiter?.();
    });
  }

  /** Lines written so far. */
  lines(): number {
    return this.newlines;
  }

  /** Everything written so far. */
  all(): string {
    return this.text;
  }

  /** Waits until `text` appears after what earlier calls consumed, and consumes up to its end. */
  async next(text: string, ms: number): Promise<void> {
    await this.until(() => this.text.indexOf(text, this.consumed) >= 0, `'${text.trim()}' on the output`, ms);
    this.consumed = this.text.indexOf(text, this.consumed) + text.length;
  }

  /** Waits until `check` holds, checked at each write. */
  until(check: () => boolean, what: string, ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`));
      }, ms);
      this.waiter = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }
}
