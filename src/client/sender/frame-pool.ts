import { HEADER_BYTES } from '../../protocol/frame.js';
import type { SendSettings } from './settings.js';

/**
 * Memory for full-size frames, used again once a frame is done with. A fresh megabyte costs far
 * more than copying into it: the kernel maps and zeroes each page on first touch, and the garbage
 * collector later unmaps it, so a bulk sender spent more time on new frames than on its data.
 *
 * Only frames near full size take a slot: a short line in a slot of its own would hold a whole
 * slot while it waits to be read. A slot comes back only through `release`, which the frame window
 * calls when no one can read the frame again; a frame that never comes back is left to the
 * garbage collector like any other buffer.
 */
export class FramePool {
  private readonly spare: ArrayBufferLike[] = [];
  /** Slots handed out and not yet released: a second release of one frame must not hand it out twice. */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(
    private readonly slotBytes: number,
    /** Spare slots kept; more are left to the garbage collector. */
    private readonly maxSpare: number,
  ) {}

  /** `size` bytes, not zeroed: in a slot if near full size, else in memory of their own. */
  take(size: number): Buffer {
    if (size > this.slotBytes || size * 2 < this.slotBytes) return Buffer.allocUnsafe(size);
    const slot = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.slotBytes).buffer;
    this.lent.add(slot);
    return Buffer.from(slot, 0, size);
  }

  /** Nothing will read `frame` again: its slot, if it has one, may hold another frame. */
  release(frame: Buffer): void {
    const slot = frame.buffer;
    if (!this.lent.delete(slot)) return;
    if (this.spare.length < this.maxSpare) this.spare.push(slot);
  }

  get spareSlots(): number {
    return this.spare.length;
  }
}

/** A pool for frames of `settings.frameBytes`, with as many spares as the window can hold frames. */
export function framePoolFor(settings: SendSettings): FramePool {
  const { frameBytes, capacityBytes, maxFramesInFlight } = settings;
  return new FramePool(HEADER_BYTES + frameBytes, Math.ceil(capacityBytes / frameBytes) + maxFramesInFlight);
}
