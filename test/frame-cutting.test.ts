// Frame cutting: how a sender's input becomes frames, by Nagle's rule at the frame level, with
// lines kept whole. The cutter with a clock the test gives; the input side with a stream.
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FrameCutter } from '../src/client/sender/frame-cutter.js';
import { framePayloads } from '../src/client/sender/input-frames.js';

describe('frame cutting', () => {
  const settings = { frameBytes: 16, partialLineMs: 1000 };
  /** Frames in flight as the cutter sees them: none, and no acknowledgement ever. */
  const noneInFlight = { framesInFlight: 0, acknowledged: () => new Promise<void>(() => {}) };

  it('cuts full frames at the last newline', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.from('abc\ndefgh\nijklmnopqrstu'), 0);
    assert.equal(cutter.take(0, false, 1)?.toString(), 'abc\ndefgh\n');
    assert.equal(cutter.take(0, false, 1), null);
    assert.equal(cutter.take(0, true, 1)?.toString(), 'ijklmnopqrstu');
  });

  it('sends lines at once with one frame in flight, gathers them behind two, and holds a partial line up to its limit', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.from('one\ntw'), 100);
    assert.equal(cutter.msUntilDue(100, 0), 0);
    assert.equal(cutter.take(100, false, 0)?.toString(), 'one\n');
    cutter.push(Buffer.from('o\nthree\n'), 101);
    assert.equal(cutter.msUntilDue(5000, 2), Infinity);
    assert.equal(cutter.take(5000, false, 2), null);
    assert.equal(cutter.msUntilDue(5000, 1), 0);
    assert.equal(cutter.take(5000, false, 0)?.toString(), 'two\nthree\n');
    cutter.push(Buffer.from('fo'), 6000);
    assert.equal(cutter.take(6500, false, 0), null);
    assert.equal(cutter.msUntilDue(6500, 0), 500);
    assert.equal(cutter.take(7000, false, 3)?.toString(), 'fo');
  });

  it('gives a partial line its time again after the caller held the input back', async () => {
    const input = new PassThrough();
    const payloads = framePayloads(input, { frameBytes: 1024, partialLineMs: 300 }, undefined, noneInFlight);
    input.write('one\ntw');
    assert.equal((await payloads.next()).value?.toString(), 'one\n');
    // The caller takes over twice the partial line's limit over the frame (a broker outage).
    await new Promise((resolve) => setTimeout(resolve, 700));
    input.end('o\n');
    assert.equal((await payloads.next()).value?.toString(), 'two\n');
    assert.equal((await payloads.next()).done, true);
  });

  it('gathers lines behind one frame when the sender lets only one be in flight', () => {
    const cutter = new FrameCutter({ ...settings, maxFramesInFlight: 1 });
    cutter.push(Buffer.from('one\n'), 0);
    assert.equal(cutter.msUntilDue(0, 1), Infinity);
    assert.equal(cutter.take(0, false, 0)?.toString(), 'one\n');
  });

  it('sends what gathered behind two frames in flight when the broker acknowledges one', async () => {
    const input = new PassThrough();
    let acknowledge = () => {};
    const inFlight = {
      framesInFlight: 2,
      acknowledged: () => new Promise<void>((resolve) => (acknowledge = resolve)),
    };
    const payloads = framePayloads(input, { frameBytes: 1024, partialLineMs: 10 }, undefined, inFlight);
    const next = payloads.next();
    input.write('one\n');
    input.write('two\nthr');
    // Longer than a partial line may wait: the frame in flight stops its clock.
    await new Promise((resolve) => setTimeout(resolve, 100));
    inFlight.framesInFlight = 1;
    acknowledge();
    assert.equal((await next).value?.toString(), 'one\ntwo\n');
    input.end('ee\n');
    assert.equal((await payloads.next()).value?.toString(), 'three\n');
  });

  it('cuts data without newlines at the frame size', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.alloc(40, 1), 0);
    assert.equal(cutter.take(0, false, 0)?.length, 16);
    assert.equal(cutter.take(0, false, 0)?.length, 16);
    assert.equal(cutter.take(0, false, 0), null);
    assert.equal(cutter.take(0, true, 0)?.length, 8);
  });

  it('holds none of the input it has framed, under an abort signal and a wait for a partial line', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const chunkBytes = 16 * 1024;
    const read: WeakRef<ArrayBuffer>[] = [];
    // No newline: every wait for more input has a partial line's deadline.
    const input = Readable.from(
      (function* () {
        for (let index = 0; index < 64; index += 1) {
          const chunk = Buffer.alloc(chunkBytes, 0x61);
          read.push(new WeakRef(chunk.buffer));
          yield chunk;
        }
      })(),
    );
    const controller = new AbortController();
    const settings = { frameBytes: 4 * chunkBytes, partialLineMs: 5000 };
    let framed = 0;
    for await (const payload of framePayloads(input, settings, controller.signal, noneInFlight))
      framed += payload.length;
    assert.equal(framed, 64 * chunkBytes);
    await turn();
    gc();
    const held = read.filter((chunk) => chunk.deref() !== undefined).length;
    // Counted in bytes: the signal, still live, and the deadlines must not keep what was read.
    assert.ok(held * chunkBytes <= settings.frameBytes, `${held * chunkBytes} bytes of input still held`);
    controller.abort();
  });
});
