// The pure pieces: name encoding, frames, the order of streams, sizes and URLs.
import assert from 'node:assert/strict';
import { parseAdvertisement } from '../src/protocol/advertisement.js';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { describe, it } from 'node:test';
import { parseBrokerUrl } from '../src/client/transport/broker-target.js';
import {
  decodeFrame,
  encodeFrame,
  frameRoom,
  FrameRejected,
  HEADER_BYTES,
  sealFrame,
  type Frame,
  type QueuedAhead,
} from '../src/protocol/frame.js';
import { QueuedAheadLog } from '../src/client/sender/queued-ahead-log.js';
import { DeliveryAudit, REREAD_AFTER_STREAMS } from '../src/client/receiver/delivery-audit.js';
import { DroppedStreams } from '../src/client/receiver/dropped-streams.js';
import type { StreamRecords } from '../src/client/receiver/stream-records.js';
import { CONNECTED_RECORD, encodeSentRecord, parseSenderRecord } from '../src/protocol/sender-record.js';
import { DEFAULT_TIMINGS } from '../src/client/timings.js';
import { StreamAssembler, type Verdict } from '../src/client/receiver/stream-assembler.js';
import { decodePipeName, encodePipeName, pipeTopics } from '../src/protocol/topics.js';
import { parseSize } from '../src/cli/size.js';
import { hideUserInfo, redactUserInfo } from '../src/protocol/redact-url.js';

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

  it('decodes each level back to its name, and no level encoding never makes', () => {
    for (const name of ['', 'logs', 'a/b', '+#', 'a b.c', '%', '%25', 'ünï cøde', '\u0000', 'x'.repeat(1000)])
      assert.equal(decodePipeName(encodePipeName(name)), name);
    for (const level of ['%2', '%zz', '%2f', 'a.b', 'a%41', '%FF', '%%'])
      assert.equal(decodePipeName(level), null, level);
  });

  it('never maps two names to one topic or one mailbox', () => {
    const names = [
      '',
      '%',
      '%25',
      'a/b',
      'a%2Fb',
      'a b',
      'a+b',
      'A',
      'a',
      'ü',
      '%C3%BC',
      'x'.repeat(1000),
      'x'.repeat(999),
    ];
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

  it('are built in place, in the room in front of their payload, as encodeFrame builds them', () => {
    const header = { type: 'data' as const, streamId: randomBytes(16), seq: 3, offset: 5000 };
    const payload = randomBytes(1000);
    const room = frameRoom(payload.length);
    payload.copy(room, HEADER_BYTES);
    const sealed = sealFrame(room, header);
    assert.equal(sealed, room);
    assert.deepEqual(sealed, encodeFrame({ ...header, payload }));
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
    for (const [bytes, message] of cases)
      assert.throws(
        () => decodeFrame(bytes),
        (error: Error) => error instanceof FrameRejected && message.test(error.message),
      );
  });

  it('carry a note of the streams queued ahead before the payload', () => {
    const queuedAhead: QueuedAhead[] = [
      { streamId: 'ab'.repeat(16), through: 2 ** 40 + 3, withEnd: false },
      { streamId: 'cd'.repeat(16), through: 0, withEnd: true },
    ];
    const hash = randomBytes(32);
    const end = decodeFrame(
      encodeFrame({ type: 'end', streamId: randomBytes(16), seq: 0, offset: 0, payload: hash, queuedAhead }),
    );
    assert.equal(end.type, 'end');
    assert.deepEqual(end.payload, hash);
    assert.deepEqual(end.queuedAhead, queuedAhead);
    const plain = decodeFrame(
      encodeFrame({
        type: 'data',
        streamId: randomBytes(16),
        seq: 0,
        offset: 0,
        payload: Buffer.from('x'),
        queuedAhead: [],
      }),
    );
    assert.equal(plain.queuedAhead, undefined);
    assert.deepEqual(plain.payload, Buffer.from('x'));

    const header = encodeFrame({
      type: 'data',
      streamId: randomBytes(16),
      seq: 0,
      offset: 0,
      payload: Buffer.alloc(0),
    });
    header[3] = 0x81;
    const entry = (flags: number) => Buffer.concat([randomBytes(16), Buffer.alloc(8), Buffer.from([flags])]);
    const cases: [Buffer, RegExp][] = [
      [Buffer.concat([header, Buffer.from([0])]), /note of 0 streams/],
      [Buffer.concat([header, Buffer.from([33]), ...Array.from({ length: 33 }, () => entry(0))]), /note of 33 streams/],
      [Buffer.concat([header, Buffer.from([2]), entry(0)]), /cut short/],
      [Buffer.concat([header, Buffer.from([1]), entry(2)]), /out of range/],
    ];
    for (const [bytes, message] of cases)
      assert.throws(
        () => decodeFrame(bytes),
        (error: Error) => error instanceof FrameRejected && message.test(error.message),
      );
  });
});

describe('the order of buffered streams', () => {
  const a = Buffer.alloc(16, 0xaa);
  const b = Buffer.alloc(16, 0xbb);
  const hex = (id: Buffer) => id.toString('hex');
  const data = (streamId: Buffer, seq: number, offset: number, text: string, queuedAhead?: QueuedAhead[]): Frame => ({
    type: 'data',
    streamId,
    seq,
    offset,
    payload: Buffer.from(text),
    queuedAhead,
  });
  const end = (streamId: Buffer, seq: number, text: string): Frame => ({
    type: 'end',
    streamId,
    seq,
    offset: text.length,
    payload: createHash('sha256').update(text).digest(),
  });

  /** An assembler as a consumer runs it, and what it wrote, acknowledged and was asked about. */
  function consumer(follow: boolean, warn: (message: string) => void = (message) => assert.fail(message)) {
    const output = new PassThrough();
    const written: Buffer[] = [];
    output.on('data', (chunk: Buffer) => written.push(chunk));
    const asked: string[][] = [];
    const assembler = new StreamAssembler(output, follow, {
      warn,
      startOf: async () => 0,
      joined: () => assert.fail('joined'),
      waiting: (_id, ahead) => asked.push(ahead.map(({ streamId }) => streamId)),
    });
    let acks = 0;
    const accept = (frame: Frame): Promise<Verdict> => assembler.accept(frame, () => (acks += 1));
    return { assembler, accept, text: () => Buffer.concat(written).toString(), acks: () => acks, asked };
  }

  it('writes a stream whose sender found another queued ahead of it only after that one, whatever the broker sends first', async () => {
    const { accept, text, acks, asked } = consumer(false);
    assert.equal(await accept(data(b, 0, 0, 'later\n', [{ streamId: hex(a), through: 6, withEnd: true }])), 'continue');
    assert.equal(await accept(end(b, 1, 'later\n')), 'continue');
    assert.equal(text(), '');
    assert.equal(acks(), 0, 'held back, so it stays in the pipe');
    assert.deepEqual(asked, [[hex(a)]], 'asked once whether an earlier consumer wrote it');
    assert.equal(await accept(data(a, 0, 0, 'first\n')), 'continue');
    assert.equal(await accept(end(a, 1, 'first\n')), 'finished');
    assert.equal(text(), 'first\n', 'a receive takes the stream queued first, and only it');
    assert.equal(acks(), 2);
  });

  it('holds a stream that came after a waiting one behind it', async () => {
    const c = Buffer.alloc(16, 0xcc);
    const { accept, text } = consumer(false);
    await accept(data(b, 0, 0, 'later\n', [{ streamId: hex(a), through: 6, withEnd: true }]));
    await accept(data(c, 0, 0, 'last\n'));
    assert.equal(text(), '', 'not even the stream without a note');
    await accept(data(a, 0, 0, 'first\n'));
    assert.equal(await accept(end(a, 1, 'first\n')), 'finished');
    assert.equal(text(), 'first\n');

    const following = consumer(true);
    await following.accept(data(b, 0, 0, 'later\n', [{ streamId: hex(a), through: 6, withEnd: true }]));
    await following.accept(data(c, 0, 0, 'last\n'));
    await following.accept(data(a, 0, 0, 'first\n'));
    assert.equal(following.text(), 'first\n', 'the end of the stream queued ahead goes first too');
    await following.accept(end(a, 1, 'first\n'));
    assert.equal(following.text(), 'first\nlater\nlast\n');
  });

  it('lets a following stream go as soon as what was queued ahead of it is written', async () => {
    const { accept, text } = consumer(true);
    await accept(data(b, 0, 0, 'b1\n', [{ streamId: hex(a), through: 3, withEnd: false }]));
    assert.equal(text(), '');
    await accept(data(a, 0, 0, 'a1\n'));
    assert.equal(text(), 'a1\nb1\n');
    await accept(data(a, 1, 3, 'a2\n'));
    assert.equal(text(), 'a1\nb1\na2\n');
  });

  it('gives up on a stream whose gap outlasts the gap timeout: a warning when following, an error otherwise', async () => {
    const warnings: string[] = [];
    const following = consumer(true, (message) => warnings.push(message));
    await following.accept(data(a, 1, 3, 'a2\n'));
    following.assembler.checkGaps(Date.now() + DEFAULT_TIMINGS.gapTimeoutMs - 1000);
    assert.deepEqual(warnings, []);
    following.assembler.checkGaps(Date.now() + DEFAULT_TIMINGS.gapTimeoutMs + 1000);
    assert.deepEqual(warnings, [
      'the broker dropped frames of a stream after 0 bytes of its stream; the output is incomplete; see the README on broker settings',
    ]);
    assert.equal(following.acks(), 1, 'what came of it is taken out of the pipe');
    await following.accept(data(b, 0, 0, 'b1\n'));
    assert.equal(following.text(), 'b1\n', 'the receiver goes on');

    const plain = consumer(false);
    await plain.accept(data(a, 1, 3, 'a2\n'));
    assert.throws(
      () => plain.assembler.checkGaps(Date.now() + DEFAULT_TIMINGS.gapTimeoutMs + 1000),
      /^PipeError: the broker dropped frames of a stream after 0 bytes/,
    );
  });

  it('writes what came of a stream held behind one queued ahead before it names the rest of it dropped', async () => {
    const warnings: string[] = [];
    const { assembler, accept, text, acks } = consumer(true, (message) => warnings.push(message));
    const markers: Buffer[] = [];
    const client = {
      connected: true,
      once: () => {},
      removeListener: () => {},
      publish: (_topic: string, payload: Buffer, _options: object, done: (error?: Error) => void) => {
        markers.push(payload);
        done();
      },
    } as unknown as MqttClient;
    const records = { clear: () => {}, writtenBefore: async () => null } as unknown as StreamRecords;
    const topics = pipeTopics('held');
    const dropped = new DroppedStreams(
      {
        records,
        streams: assembler,
        consumerClient: () => client,
        rereadRecords: () => {},
        queued: () => false,
        lastDeliveryAt: () => 0,
        stopped: () => false,
        fail: (error) => assert.fail(String(error)),
        warn: (message) => warnings.push(message),
      },
      topics,
      true,
      DEFAULT_TIMINGS,
    );
    const { auditAfterMs, gapTimeoutMs } = DEFAULT_TIMINGS;
    // b's first frame waits for a, which does not come; b's end does not come either.
    await accept(data(b, 0, 0, 'b1\n', [{ streamId: hex(a), through: 3, withEnd: false }]));
    dropped.frameArrived(hex(b), false, Date.now());
    dropped.onSenderRecord(topics.sender(hex(b)), encodeSentRecord(10, 'there', new Date()));
    dropped.check(Date.now() + auditAfterMs + 1);
    assert.equal(markers.length, 1, 'a sync marker');
    dropped.syncArrived(decodeFrame(markers[0]!).streamId.toString('hex'));
    dropped.check(Date.now() + gapTimeoutMs + 1000);
    assert.deepEqual([text(), acks(), warnings], ['', 0, []], 'what came of b is not thrown away');
    assembler.notAhead(hex(a));
    await assembler.writeReleased();
    assert.deepEqual([text(), acks()], ['b1\n', 1]);
    dropped.check(Date.now() + 2 * gapTimeoutMs + 2000);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /^the broker dropped the rest of a 10 bytes stream sent from there at .* after 3 bytes of/,
    );
  });

  it('stops waiting for a stream an earlier consumer wrote', async () => {
    const { assembler, accept, text } = consumer(false);
    await accept(data(b, 0, 0, 'later\n', [{ streamId: hex(a), through: 6, withEnd: true }]));
    assert.equal(await assembler.writeReleased(), 'continue');
    assert.equal(assembler.waiting, true);
    assembler.notAhead(hex(a));
    assert.equal(await assembler.writeReleased(), 'continue');
    assert.equal(assembler.waiting, false);
    assert.equal(await accept(end(b, 1, 'later\n')), 'finished');
    assert.equal(text(), 'later\n');
  });
});

describe('the mailbox check', () => {
  it('notes how much of each queued stream it was handed, and whether its end', () => {
    const log = new QueuedAheadLog();
    const a = randomBytes(16);
    const c = randomBytes(16);
    log.saw({ type: 'data', streamId: a, seq: 0, offset: 0, payload: Buffer.alloc(10) });
    log.saw({ type: 'sync', streamId: randomBytes(16), seq: 0, offset: 0, payload: Buffer.alloc(0) });
    log.saw({ type: 'end', streamId: c, seq: 3, offset: 99, payload: Buffer.alloc(32) });
    log.saw({ type: 'data', streamId: a, seq: 1, offset: 10, payload: Buffer.alloc(5) });
    assert.deepEqual(log.entries, [
      { streamId: a.toString('hex'), through: 15, withEnd: false },
      { streamId: c.toString('hex'), through: 99, withEnd: true },
    ]);
  });
});

describe("a broker's refusal", () => {
  it('names the refused frame only when its fields are what a frame header holds', () => {
    const stream = 'ab'.repeat(16);
    const parse = (refusedFrame: unknown) =>
      parseAdvertisement(Buffer.from(JSON.stringify({ skypipe: '1', refused: 'full', refusedFrame })))!.refusedFrame;
    assert.deepEqual(parse({ stream, seq: 3, offset: 4096 }), { stream, seq: 3, offset: 4096 });
    for (const hostile of [
      { stream: 'AB'.repeat(16), seq: 3, offset: 0 },
      { stream: 'ab', seq: 3, offset: 0 },
      { stream, seq: -1, offset: 0 },
      { stream, seq: 1.5, offset: 0 },
      { stream, seq: 1, offset: 2 ** 60 },
      { stream, seq: '1', offset: 0 },
      null,
      'frame',
    ])
      assert.equal(parse(hostile), undefined, JSON.stringify(hostile));
  });
});

describe('sender records', () => {
  it('tell a connected sender, a finished stream, a cleared record and a foreign payload apart', () => {
    assert.deepEqual(parseSenderRecord(CONNECTED_RECORD), { state: 'connected' });
    const sent = parseSenderRecord(encodeSentRecord(1234, hostname(), new Date('2026-01-02T03:04:05Z')));
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
    assert.equal(audit.syncDue(DEFAULT_TIMINGS.auditAfterMs * 10, 0, false), null, 'nothing left to check');
  });

  it('checks a recorded stream once the mailbox is quiet, and reports it dropped after a gap timeout', () => {
    const audit = new DeliveryAudit();
    audit.recordSent('a', sent, 1000);
    assert.equal(audit.syncDue(1000 + DEFAULT_TIMINGS.auditAfterMs - 1, 0, true), null, 'the record is too new');
    assert.equal(
      audit.syncDue(1000 + DEFAULT_TIMINGS.auditAfterMs, 1000 + DEFAULT_TIMINGS.auditAfterMs - 1, false),
      null,
      'the mailbox is busy',
    );
    const token = audit.syncDue(1000 + DEFAULT_TIMINGS.auditAfterMs, 1000, false);
    assert.match(token ?? '', /^[0-9a-f]{32}$/);
    assert.equal(audit.syncDue(1000 + DEFAULT_TIMINGS.auditAfterMs + 1, 1000, false), null, 'one sync at a time');
    assert.equal(audit.syncArrived('0'.repeat(32), 5000), null, 'not ours');
    assert.deepEqual(audit.syncArrived(token!, 5000), ['a'], 'nothing of it arrived: its progress is asked');
    audit.markMissing('a', 5000);
    audit.frameArrived('a', false, 6000);
    assert.deepEqual(
      audit.takeDropped(6000 + DEFAULT_TIMINGS.gapTimeoutMs, () => false),
      [],
      'a frame restarted its clock',
    );
    assert.deepEqual(
      audit.takeDropped(6001 + DEFAULT_TIMINGS.gapTimeoutMs, () => true),
      [],
      'frames of it wait to be written',
    );
    assert.deepEqual(
      audit.takeDropped(6002 + 2 * DEFAULT_TIMINGS.gapTimeoutMs, () => false),
      [['a', sent]],
    );
    assert.deepEqual(
      audit.takeDropped(10 ** 9, () => false),
      [],
      'reported once',
    );
  });

  it('reads the records again after a burst of streams, once the mailbox is quiet', () => {
    const audit = new DeliveryAudit();
    for (let stream = 0; stream < REREAD_AFTER_STREAMS - 1; stream++) {
      audit.frameArrived(`s${stream}`, false, 0);
      audit.frameArrived(`s${stream}`, true, 0);
    }
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs, 0), false, 'not yet a burst');
    audit.frameArrived('last', false, 0);
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs - 1, 0), false, 'the mailbox is busy');
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs, 0), true);
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs * 2, 0), false, 'once per burst');
    // The read brings the record of a stream none of which came: another read follows.
    audit.recordSent('unseen', sent, DEFAULT_TIMINGS.auditAfterMs * 2);
    assert.equal(
      audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs + DEFAULT_TIMINGS.rereadAgainMs - 1, 0),
      false,
      'not yet',
    );
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs + DEFAULT_TIMINGS.rereadAgainMs, 0), true, 'again');
    audit.recordSent('last', sent, DEFAULT_TIMINGS.auditAfterMs * 3);
    audit.frameArrived('last', true, DEFAULT_TIMINGS.auditAfterMs * 3);
    assert.equal(
      audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs + 2 * DEFAULT_TIMINGS.rereadAgainMs, 0),
      false,
      'until a read brings nothing new',
    );
    assert.equal(audit.rereadDue(DEFAULT_TIMINGS.auditAfterMs + 3 * DEFAULT_TIMINGS.rereadAgainMs, 0), false);
  });

  it('takes a stream whose end has arrived as on its way out, and one missing its end as missing', () => {
    const audit = new DeliveryAudit();
    audit.recordSent('whole', sent, 0);
    audit.recordSent('cut', sent, 0);
    audit.frameArrived('whole', false, 0);
    audit.frameArrived('whole', true, 0);
    audit.frameArrived('cut', false, 0);
    const token = audit.syncDue(DEFAULT_TIMINGS.auditAfterMs, 0, false);
    assert.deepEqual(audit.syncArrived(token!, 10), []);
    assert.equal(audit.oldestMissingSince(), 10);
    assert.deepEqual(
      audit.takeDropped(11 + DEFAULT_TIMINGS.gapTimeoutMs, () => false),
      [['cut', sent]],
    );
    assert.equal(audit.streamWritten('whole'), true);
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

  it('shows a URL without its password, whatever the password holds', () => {
    for (const [raw, redacted, hidden] of [
      ['redis://u:pa/ss@host:6379', 'redis://u@host:6379', 'redis://***@host:6379'],
      ['mqtt://me:p@ss@h', 'mqtt://me@h', 'mqtt://***@h'],
      ['mqtts://:secret@h/x', 'mqtts://h/x', 'mqtts://***@h/x'],
      ['mqtt://h:1883', 'mqtt://h:1883', 'mqtt://h:1883'],
    ]) {
      assert.equal(redactUserInfo(raw!), redacted);
      assert.equal(hideUserInfo(raw!), hidden);
    }
  });
});
