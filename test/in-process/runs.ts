// One send() or receive() run by a test: what it said, what it wrote, how it ended.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { PipeError } from '../../src/client/index.js';

/** Collects what a receiver writes. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  length = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One send() or receive() under way: what it said, and how it ended. */
export class PipeRun<T> {
  readonly warnings: string[] = [];
  readonly statuses: string[] = [];
  /** Bytes the broker has accepted (a sender). */
  accepted = 0;
  /** Stream sizes its senders announced, and whether each stream completed checked (a receiver). */
  readonly sizes: number[] = [];
  readonly completions: boolean[] = [];
  readonly events = {
    warn: (message: string) => void this.warnings.push(message),
    status: (message: string) => void this.statuses.push(message),
    progress: (bytes: number) => void (this.accepted = bytes),
    sized: (_streamId: string, bytes: number) => void this.sizes.push(bytes),
    completed: (_streamId: string, checked: boolean) => void this.completions.push(checked),
  };
  result!: Promise<T>;
  settled = false;
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  begin(result: Promise<T>): this {
    this.result = result;
    // Judged by the test; a run left behind by a failed test must not fail the file.
    result.then(
      () => (this.settled = true),
      () => (this.settled = true),
    );
    return this;
  }

  /** As Ctrl-C at the command line. */
  abort(): void {
    this.controller.abort();
  }

  /** The PipeError the run failed with; a success or any other error fails the test. */
  async failure(): Promise<PipeError> {
    const error = await this.result.then(
      () => assert.fail('it succeeded'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof PipeError, `not a PipeError: ${String(error)}`);
    return error;
  }
}

export class Receiving extends PipeRun<void> {
  readonly sink = new Collector();

  /** What it wrote so far. */
  output(): Buffer {
    return this.sink.bytes();
  }
}
