// The pure pieces: name encoding, frames, frame cutting, sizes and URLs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseBrokerUrl } from '../src/client/broker-target.js';
import { decodeFrame, encodeFrame, FrameRejected } from '../src/client/frame.js';
import { FrameCutter } from '../src/client/frame-cutter.js';
import { encodePipeName, pipeTopics } from '../src/client/topics.js';
import { parseSize } from '../src/cli/size.js';

describe('pipe names', () => {
  it('encodes every name as one valid topic level', () => {
    assert.equal(encodePipeName(''), '%');
    assert.equal(encodePipeName('logs'), 'logs');
    assert.equal(encodePipeName('a/b'), 'a%2Fb');
    assert.equal(encodePipeName('+#'), '%2B%23');
    assert.equal(encodePipeName('a b.c'), 'a%20b%2Ec');
    assert.equal(encodePipeName('%'), '%25');
    assert.equal(encodePipeName('ü'), '%C3%BC');
    for (const name of ['', 'a/b', '+', '#', 'x'.repeat(1000), 'ünï cøde', '\u0000']) {
      assert.match(encodePipeName(name), /^[A-Za-z0-9_%-]+$/);
    }
  });

  it('never maps two names to one topic or one mailbox', () => {
    const names = ['', '%', '%25', 'a/b', 'a%2Fb', 'a b', 'a+b', 'A', 'a', 'ü', '%C3%BC', 'x'.repeat(1000), 'x'.repeat(999)];
    const topics = new Set(names.map((name) => pipeTopics(name).data));
    const mailboxes = new Set(names.map((name) => pipeTopics(name).mailboxClientId));
    assert.equal(topics.size, names.length);
    assert.equal(mailboxes.size, names.length);
    for (const id of mailboxes) assert.match(id, /^[0-9a-z]{23}$/);
  });
});

describe('frames', () => {
  it('round-trip', () => {
    const streamId = randomBytes(16);
    const payload = randomBytes(1000);
    const frame = decodeFrame(encodeFrame({ type: 'data', streamId, seq: 7, offset: 2 ** 40, payload }));
    assert.equal(frame.type, 'data');
    assert.deepEqual(frame.streamId, streamId);
    assert.equal(frame.seq, 7);
    assert.equal(frame.offset, 2 ** 40);
    assert.deepEqual(frame.payload, payload);
  });

  it('reject what is not a version-1 frame', () => {
    const good = encodeFrame({ type: 'end', streamId: randomBytes(16), seq: 0, offset: 0, payload: randomBytes(32) });
    const cases: [Buffer, RegExp][] = [
      [good.subarray(0, 31), /shorter than a frame header/],
      [Buffer.concat([Buffer.from('XX'), good.subarray(2)]), /not a skypipe frame/],
      [Buffer.concat([good.subarray(0, 2), Buffer.from([9]), good.subarray(3)]), /version 9 is not 1/],
      [Buffer.concat([good.subarray(0, 3), Buffer.from([7]), good.subarray(4)]), /unknown frame type 7/],
      [good.subarray(0, 40), /end frame without a SHA-256/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => decodeFrame(bytes), (error: Error) => error instanceof FrameRejected && message.test(error.message));
  });
});

describe('frame cutting', () => {
  const settings = { frameBytes: 16, lingerMs: 5, partialLineMs: 1000 };

  it('cuts full frames at the last newline', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.from('abc\ndefgh\nijklmnopqrstu'), 0);
    assert.equal(cutter.take(0, false)?.toString(), 'abc\ndefgh\n');
    assert.equal(cutter.take(0, false), null);
    assert.equal(cutter.take(0, true)?.toString(), 'ijklmnopqrstu');
  });

  it('sends lines after the linger and holds a partial line up to its limit', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.from('one\ntw'), 100);
    assert.equal(cutter.take(104, false), null);
    assert.equal(cutter.take(105, false)?.toString(), 'one\n');
    assert.equal(cutter.take(500, false), null);
    assert.equal(cutter.msUntilDue(500), 600);
    assert.equal(cutter.take(1100, false)?.toString(), 'tw');
  });

  it('cuts data without newlines at the frame size', () => {
    const cutter = new FrameCutter(settings);
    cutter.push(Buffer.alloc(40, 1), 0);
    assert.equal(cutter.take(0, false)?.length, 16);
    assert.equal(cutter.take(0, false)?.length, 16);
    assert.equal(cutter.take(0, false), null);
    assert.equal(cutter.take(0, true)?.length, 8);
  });
});

describe('arguments', () => {
  it('parses sizes', () => {
    assert.equal(parseSize('65536', '--capacity'), 65536);
    assert.equal(parseSize('64k', '--capacity'), 65536);
    assert.equal(parseSize('32M', '--capacity'), 32 * 1024 * 1024);
    assert.equal(parseSize('1GiB', '--capacity'), 1024 ** 3);
    assert.throws(() => parseSize('0', '--capacity'), /out of range/);
    assert.throws(() => parseSize('-1M', '--capacity'), /not a size/);
  });

  it('takes credentials out of broker URLs and adds default ports', () => {
    const target = parseBrokerUrl('mqtts://ann:s%40cret@broker.example.net', '--url');
    assert.equal(target.url, 'mqtts://broker.example.net:8883');
    assert.equal(target.username, 'ann');
    assert.equal(target.password, 's@cret');
    assert.equal(parseBrokerUrl('ws://h/mqtt', 'SKYPIPE_URL').url, 'ws://h/mqtt');
    assert.equal(parseBrokerUrl('mqtt://[::1]:1884', '--url').url, 'mqtt://[::1]:1884');
  });
});
