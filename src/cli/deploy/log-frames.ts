import { Tail } from './bounded.js';

/**
 * A container's logs as the engine frames them (8-byte headers: stream, 0, 0, 0, length), read as
 * they arrive: the last 64 KiB of standard output and of standard error are kept, nothing more.
 */
export class LogFrames {
  readonly stdout = new Tail();
  readonly stderr = new Tail();
  private header = Buffer.alloc(0);
  /** The stream and the bytes left of the frame being read, once its header is in. */
  private frame: { tail: Tail; left: number } | null = null;

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.frame === null) {
        const wanted = 8 - this.header.length;
        this.header = Buffer.concat([this.header, chunk.subarray(at, at + wanted)]);
        at += Math.min(wanted, chunk.length - at);
        if (this.header.length < 8) return;
        const left = this.header.readUInt32BE(4);
        this.frame = { tail: this.header[0] === 2 ? this.stderr : this.stdout, left };
        this.header = Buffer.alloc(0);
      }
      const piece = chunk.subarray(at, at + this.frame.left);
      if (piece.length > 0) this.frame.tail.push(piece);
      at += piece.length;
      this.frame.left -= piece.length;
      if (this.frame.left === 0) this.frame = null;
    }
  }
}
