/** The longest line of the engine's build stream read; a longer one is skipped, not buffered. */
export const MAX_BUILD_LINE = 1024 * 1024;
/** How much of a message is kept for the one-line error. */
const SHOWN = 300;
const shown = (text: string): string => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > SHOWN ? `${line.slice(0, SHOWN)}…` : line;
};

/**
 * The engine's build output, read line by line as it arrives (one JSON object a line): it keeps
 * the error the build reports and its last lines of output, and nothing else, whatever the engine
 * sends.
 */
export class BuildProgress {
  failure: string | undefined;
  readonly tail: string[] = [];
  private partial: Buffer[] = [];
  private partialLength = 0;
  private skipping = false;

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      this.keep(chunk.subarray(start, newline));
      this.endLine();
      start = newline + 1;
    }
    this.keep(chunk.subarray(start));
  }

  /** The stream ended: a last line without a newline counts too. */
  end(): void {
    this.endLine();
  }

  private keep(piece: Buffer): void {
    if (this.skipping || piece.length === 0) return;
    if (this.partialLength + piece.length > MAX_BUILD_LINE) {
      this.partial = [];
      this.partialLength = 0;
      this.skipping = true;
      this.remember(`(a line over ${MAX_BUILD_LINE} bytes skipped)`);
      return;
    }
    this.partial.push(piece);
    this.partialLength += piece.length;
  }

  private endLine(): void {
    const text = Buffer.concat(this.partial).toString();
    this.partial = [];
    this.partialLength = 0;
    this.skipping = false;
    if (text.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      this.remember(text);
      return;
    }
    if (typeof event !== 'object' || event === null) return this.remember(text);
    const { error, stream } = event as { error?: unknown; stream?: unknown };
    if (error !== undefined) this.failure = shown(typeof error === 'string' ? error : JSON.stringify(error));
    if (typeof stream === 'string') for (const line of stream.split('\n')) this.remember(line);
  }

  private remember(line: string): void {
    if (line.trim() === '') return;
    this.tail.push(shown(line));
    if (this.tail.length > 3) this.tail.shift();
  }
}
