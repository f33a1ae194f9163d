// The pure pieces: name encoding, frames, frame cutting, sizes and URLs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { parseBrokerUrl } from '../src/client/broker-target.js';
import { decodeFrame, encodeFrame, FrameRejected } from '../src/client/frame.js';
import { FrameCutter } from '../src/client/frame-cutter.js';
import { AUDIT_AFTER_MS, DeliveryAudit } from '../src/client/delivery-audit.js';
import { CONNECTED_RECORD, encodeSentRecord, parseSenderRecord } from '../src/client/sender-record.js';
import { GAP_TIMEOUT_MS } from '../src/client/stream-assembler.js';
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

describe('sender records', () => {
  it('tell a connected sender, a finished stream, a cleared record and a foreign payload apart', () => {
    assert.deepEqual(parseSenderRecord(CONNECTED_RECORD), { state: 'connected' });
    const sent = parseSenderRecord(encodeSentRecord(1234, new Date('2026-01-02T03:04:05Z')));
    assert.deepEqual(sent, { state: 'sent', sent: { length: 1234, host: hostname(), at: '2026-01-02T03:04:05.000Z' } });
    assert.equal(parseSenderRecord(Buffer.alloc(0)), null);
    for (const foreign of ['2', '{"sent":-1}', '{"sent":1.5}', '[1]', 'null', '{"sent":"9"}', '\u0000garbage']) {
      assert.equal(parseSenderRecord(Buffer.from(foreign)), undefined, foreign);
    }
  });
});

describe('the delivery audit', () => {
  const sent = { length: 10, host: 'h', at: 't' };

  it('clears the records of a stream written before or after its record came', () => {
    const audit = new DeliveryAudit();
    assert.equal(audit.streamWritten('a'), false);
    assert.equal(audit.recordSent('a', sent, 0), true);
    assert.equal(audit.recordSent('b', sent, 0), false);
    assert.equal(audit.streamWritten('b'), true);
    assert.equal(audit.recordSent('b', sent, 0), true, 'a record that comes again (a resubscription) is only cleared');
    assert.equal(audit.syncDue(AUDIT_AFTER_MS * 10, 0, false), null, 'nothing left to check');
  });

  it('checks a recorded stream once the mailbox is quiet, and reports it dropped after a gap timeout', () => {
    const audit = new DeliveryAudit();
    audit.recordSent('a', sent, 1000);
    assert.equal(audit.syncDue(1000 + AUDIT_AFTER_MS - 1, 0, true), null, 'the record is too new');
    assert.equal(audit.syncDue(1000 + AUDIT_AFTER_MS, 1000 + AUDIT_AFTER_MS - 1, false), null, 'the mailbox is busy');
    const token = audit.syncDue(1000 + AUDIT_AFTER_MS, 1000, false);
    assert.match(token ?? '', /^[0-9a-f]{32}$/);
    assert.equal(audit.syncDue(1000 + AUDIT_AFTER_MS + 1, 1000, false), null, 'one sync at a time');
    assert.equal(audit.syncArrived('0'.repeat(32), 5000), null, 'not ours');
    assert.deepEqual(audit.syncArrived(token!, 5000), ['a'], 'nothing of it arrived: its progress is asked');
    audit.markMissing('a', 5000);
    audit.frameArrived('a', false, 6000);
    assert.deepEqual(audit.takeDropped(6000 + GAP_TIMEOUT_MS, () => false), [], 'a frame restarted its clock');
    assert.deepEqual(audit.takeDropped(6001 + GAP_TIMEOUT_MS, () => true), [], 'frames of it wait to be written');
    assert.deepEqual(audit.takeDropped(6002 + 2 * GAP_TIMEOUT_MS, () => false), [['a', sent]]);
    assert.deepEqual(audit.takeDropped(10 ** 9, () => false), [], 'reported once');
  });

  it('takes a stream whose end has arrived as on its way out, and one missing its end as missing', () => {
    const audit = new DeliveryAudit();
    audit.recordSent('whole', sent, 0);
    audit.recordSent('cut', sent, 0);
    audit.frameArrived('whole', false, 0);
    audit.frameArrived('whole', true, 0);
    audit.frameArrived('cut', false, 0);
    const token = audit.syncDue(AUDIT_AFTER_MS, 0, false);
    assert.deepEqual(audit.syncArrived(token!, 10), []);
    assert.equal(audit.oldestMissingSince(), 10);
    assert.deepEqual(audit.takeDropped(11 + GAP_TIMEOUT_MS, () => false), [['cut', sent]]);
    assert.equal(audit.streamWritten('whole'), true);
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
