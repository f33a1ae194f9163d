// Frame memory used again: a slot comes back only when the frame window says no one can read its
// frame again, never twice, and never from a frame that went out on two connections. Last, random
// runs of acknowledgements, progress records, drops and reconnects with a seeded generator.
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

/** A publish that a connection may still read: until its PUBACK, or until that connection closes. */
interface Readable {
  connection: number;
  seq: number;
  frame: Buffer;
  ack: () => void;
  fail: (error: Error) => void;
  done: boolean;
}

/** Deterministic, so that a failing seed fails again. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

const SLOT = 64;

/** One random run; resolves with how many reads it checked. */
async function randomRun(seed: number): Promise<number> {
  const random = randomFrom(seed);
  const pool = new FramePool(SLOT, 6);
  let connection = 1;
  let connected = true;
  const readable: Readable[] = [];
  const written = new Map<number, Buffer>();
  const seqOf = new WeakMap<Buffer, number>();
  let checks = 0;
  const intact = (frame: Buffer, when: string) => {
    const seq = seqOf.get(frame)!;
    assert.ok(frame.equals(written.get(seq)!), `seed ${seed}: frame ${seq} overwritten ${when}`);
    checks += 1;
  };
  const window = new FrameWindow(
    (frame) => {
      if (!connected) return null;
      intact(frame, 'when published');
      return new Promise<void>((ack, fail) =>
        readable.push({ connection, seq: seqOf.get(frame)!, frame, ack, fail, done: false }),
      );
    },
    () => {},
    undefined,
    (frame) => pool.release(frame),
  );
  let seq = 0;
  let offset = 0;
  let consumed = 0;
  const ends: number[] = [];
  const open = () => readable.filter((read) => !read.done);
  for (let step = 0; step < 400; step++) {
    const roll = random();
    if (roll < 0.35 && window.framesInFlight < 4) {
      const size = SLOT / 2 + Math.floor(random() * (SLOT / 2 + 1));
      const frame = pool.take(size);
      const holder = open().find((read) => read.frame.buffer === frame.buffer);
      assert.equal(holder, undefined, `seed ${seed}: the slot of frame ${holder?.seq} lent again`);
      for (let at = 0; at < size; at++) frame[at] = (seq * 31 + at) & 0xff;
      written.set(seq, Buffer.from(frame));
      seqOf.set(frame, seq);
      offset += size;
      ends.push(offset);
      window.add(seq++, frame, size, offset);
    } else if (roll < 0.6) {
      // PUBACKs on the open connection, sometimes out of order.
      const waiting = open().filter((read) => read.connection === connection && connected);
      const acked = waiting[Math.floor(random() * Math.min(2, waiting.length))];
      if (acked !== undefined) {
        intact(acked.frame, 'before its PUBACK');
        acked.done = true;
        acked.ack();
      }
    } else if (roll < 0.8) {
      // Progress records, even ahead of what the broker has acknowledged (a forged one can be).
      const end = ends[Math.floor(random() * ends.length)];
      if (end !== undefined && end > consumed && random() < 0.7) window.consumedThrough((consumed = end));
    } else if (roll < 0.87 && connected) {
      for (const read of open().filter((read) => read.connection === connection)) {
        intact(read.frame, 'when its connection closed');
        read.done = true;
        read.fail(new Error('connection closed'));
      }
      connected = false;
      window.fruitlessClose();
    } else if (roll < 0.95 && !connected) {
      connection += 1;
      connected = true;
      window.connectionOpened();
      window.sendAgain();
    }
    // A socket may read anything it was handed at any moment.
    for (const read of open()) intact(read.frame, 'while a connection could read it');
    await new Promise((resolve) => setImmediate(resolve));
  }
  return checks;
}

describe('frame memory under random acknowledgements, drops and reconnects', () => {
  it('never overwrites a frame a connection may still read, in 300 seeded runs', async () => {
    let checks = 0;
    for (let seed = 1; seed <= 300; seed++) checks += await randomRun(seed);
    assert.ok(checks > 10_000, `only ${checks} reads checked`);
  });
});
