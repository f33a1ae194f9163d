import { PipeError } from '../../protocol/errors.js';

/**
 * How long the engine may take to answer: a broken or hostile engine must not hang deploy. The
 * build has no such bound (it takes minutes), only one on its silence.
 */
export const ENGINE_ANSWER_MS = 30_000;
export const ONE_OFF_MS = 120_000;
export const HEALTHCHECK_MS = 10_000;
export const BUILD_SILENCE_MS = 10 * 60_000;

/** How much of an engine's output is kept for an error message: the last 64 KiB. */
export const KEPT_OUTPUT_BYTES = 64 * 1024;

/** `promise`, or a one-line error naming `what` when the engine does not answer within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(
      () => fail(new PipeError(`${what}: the container engine did not answer within ${ms / 1000} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `limit` bytes written to it. */
export class Tail {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly limit: number = KEPT_OUTPUT_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    while (this.length - this.chunks[0]!.length >= this.limit) this.length -= this.chunks.shift()!.length;
  }

  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString();
  }
}
