// Frame memory used again: a slot comes back only when the frame window says no one can read its
// frame again, never twice, and never from a frame that went out on two connections.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FramePool } from '../src/client/sender/frame-pool.js';
import { FrameWindow } from '../src/client/sender/frame-window.js';

/** A publish whose PUBACKs the test gives, one per call, in order. */
class Acks {
  readonly pending: { frame: Buffer; ack: () => void; fail: (error: Error) => void }[] = [];
  connected = true;
  readonly publish = (frame: Buffer): Promise<void> | null => {
    if (!this.connected) return null;
    return new Promise((ack, fail) => this.pending.push({ frame, ack, fail }));
  };
  async ackNext(): Promise<void> {
    this.pending.shift()!.ack();
    await Promise.resolve();
  }
}

describe('frame pool', () => {
  it('lends near-full frames from slots it reuses, and gives short ones memory of their own', () => {
    const pool = new FramePool(100, 4);
    const full = pool.take(100);
    const half = pool.take(50);
    const short = pool.take(49);
    assert.equal(full.buffer.byteLength, 100);
    assert.equal(half.buffer.byteLength, 100);
    assert.notEqual(short.buffer.byteLength, 100);
    pool.release(full);
    pool.release(short);
    assert.equal(pool.spareSlots, 1);
    assert.equal(pool.take(80).buffer, full.buffer);
    assert.equal(pool.spareSlots, 0);
  });

  it('takes a slot back once however often its frame is released, and keeps at most its spares', () => {
    const pool = new FramePool(100, 1);
    const [first, second] = [pool.take(100), pool.take(100)];
    pool.release(first);
    pool.release(first);
    assert.equal(pool.spareSlots, 1);
    pool.release(second);
    assert.equal(pool.spareSlots, 1);
    const again = pool.take(100);
    assert.equal(again.buffer, first.buffer);
    assert.notEqual(pool.take(100).buffer, first.buffer);
  });
});

describe('frames the window finishes', () => {
  function windowWith(acks: Acks): { window: FrameWindow; finished: number[] } {
    const finished: number[] = [];
    const window = new FrameWindow(
      acks.publish,
      () => {},
      undefined,
      (frame) => finished.push(frame[0]!),
    );
    return { window, finished };
  }

  it('finishes a data frame once both its PUBACK and the consumer have passed it, in either order', async () => {
    const acks = new Acks();
    const { window, finished } = windowWith(acks);
    window.add(0, Buffer.from([0]), 10, 10);
    window.add(1, Buffer.from([1]), 10, 20);
    await acks.ackNext();
    assert.deepEqual(finished, [], 'acknowledged, not yet read');
    window.consumedThrough(20);
    assert.deepEqual(finished, [0], 'frame 1 is read but not acknowledged');
    await acks.ackNext();
    assert.deepEqual(finished, [0, 1]);
  });

  it('finishes a frame other than data at its PUBACK', async () => {
    const acks = new Acks();
    const { window, finished } = windowWith(acks);
    window.add(0, Buffer.from([7]), 0, null);
    await acks.ackNext();
    assert.deepEqual(finished, [7]);
  });

  it('never finishes a frame sent again after a reconnect, nor one sent while disconnected', async () => {
    const acks = new Acks();
    const { window, finished } = windowWith(acks);
    window.add(0, Buffer.from([0]), 10, 10);
    window.add(1, Buffer.from([1]), 10, 20);
    await acks.ackNext();
    acks.pending.shift()!.fail(new Error('connection closed'));
    acks.connected = false;
    window.add(2, Buffer.from([2]), 10, 30);
    acks.connected = true;
    window.sendAgain();
    assert.deepEqual(
      acks.pending.map(({ frame }) => frame[0]),
      [0, 1, 2],
      'the unread frame 0 and those in flight go again',
    );
    while (acks.pending.length > 0) await acks.ackNext();
    window.consumedThrough(30);
    assert.deepEqual(finished, []);
    window.add(3, Buffer.from([3]), 10, 40);
    await acks.ackNext();
    window.consumedThrough(40);
    assert.deepEqual(finished, [3], 'a frame first sent after the reconnect is finished as usual');
  });
});
