// What `skypipe deploy` keeps of what an engine sends: bounded, whatever the engine sends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tail } from '../../src/cli/deploy/bounded.js';
import { BuildProgress, MAX_BUILD_LINE } from '../../src/cli/deploy/build-stream.js';
import { LogFrames } from '../../src/cli/deploy/log-frames.js';

const line = (event: unknown) => Buffer.from(`${JSON.stringify(event)}\n`);

describe("the engine's build output", () => {
  it('keeps the error event and the last three lines, across chunks cut anywhere', () => {
    const progress = new BuildProgress();
    const all = Buffer.concat([
      line({ stream: 'Step 1/3 : FROM node\n' }),
      line({ stream: 'Step 2/3 : RUN npm ci\nadded 10 packages\n' }),
      line({ aux: { ID: 'sha256:00' } }),
      line({ stream: 'Step 3/3 : RUN false' }),
      line({ error: 'The command returned a non-zero code: 1', errorDetail: { code: 1 } }),
    ]);
    for (let at = 0; at < all.length; at += 7) progress.push(all.subarray(at, at + 7));
    progress.end();
    assert.equal(progress.failure, 'The command returned a non-zero code: 1');
    assert.deepEqual(progress.tail, ['Step 2/3 : RUN npm ci', 'added 10 packages', 'Step 3/3 : RUN false']);
  });

  it('takes a line that is not JSON as text, and does not throw', () => {
    const progress = new BuildProgress();
    progress.push(Buffer.from('<html>502 Bad Gateway</html>\n{"stream":"ok"}'));
    progress.end();
    assert.equal(progress.failure, undefined);
    assert.deepEqual(progress.tail, ['<html>502 Bad Gateway</html>', 'ok']);
  });

  it('skips a line longer than the bound without keeping it, and reads on', () => {
    const progress = new BuildProgress();
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let sent = 0; sent < 4 * MAX_BUILD_LINE; sent += chunk.length) progress.push(chunk);
    // Dropped as soon as it passed the bound, before its end arrived.
    assert.deepEqual(progress.tail, [`(a line over ${MAX_BUILD_LINE} bytes skipped)`]);
    progress.push(Buffer.from(`\n${JSON.stringify({ error: 'x'.repeat(1000) })}\n`));
    progress.end();
    assert.equal(progress.failure, `${'x'.repeat(300)}…`);
    assert.deepEqual(progress.tail, [`(a line over ${MAX_BUILD_LINE} bytes skipped)`]);
  });

  it('keeps a non-string error as JSON', () => {
    const progress = new BuildProgress();
    progress.push(line({ error: { nested: true } }));
    assert.equal(progress.failure, '{"nested":true}');
  });
});

describe("a container's logs", () => {
  const frame = (stream: number, text: string | Buffer) => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };

  it('splits standard output from standard error across chunks cut anywhere', () => {
    const frames = new LogFrames();
    const all = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, ''), frame(1, 'out two\n')]);
    for (let at = 0; at < all.length; at += 3) frames.push(all.subarray(at, at + 3));
    assert.equal(frames.stdout.toString(), 'out one\nout two\n');
    assert.equal(frames.stderr.toString(), 'err\n');
  });

  it('keeps only the last 64 KiB of each stream', () => {
    const frames = new LogFrames();
    const big = Buffer.alloc(1024 * 1024, 'a');
    frames.push(frame(2, big));
    frames.push(frame(2, 'the last line\n'));
    const last = 'the last line\n';
    assert.equal(frames.stderr.toString(), `${'a'.repeat(64 * 1024 - last.length)}${last}`);
    assert.equal(frames.stdout.toString(), '');
  });
});

describe('a tail', () => {
  it('holds the last bytes written, however they were cut', () => {
    const tail = new Tail(5);
    for (const piece of ['ab', 'cdef', '', 'g']) tail.push(Buffer.from(piece));
    assert.equal(tail.toString(), 'cdefg');
    const whole = new Tail(5);
    whole.push(Buffer.from('0123456789'));
    assert.equal(whole.toString(), '56789');
  });
});
