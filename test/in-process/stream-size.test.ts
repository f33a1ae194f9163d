// A sender that knows its input's length says so in its record; a receiver shows it, and takes a
// record without it as before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeConnectedRecord, parseSenderRecord } from '../../src/protocol/sender-record.js';
import { onEveryBroker } from './pipes.js';

describe('the sender record', () => {
  it('carries the size when the sender knows it, and reads as connected either way', () => {
    assert.equal(encodeConnectedRecord(undefined).toString(), '1');
    assert.equal(encodeConnectedRecord(3000).toString(), '{"size":3000}');
    assert.deepEqual(parseSenderRecord(Buffer.from('1')), { state: 'connected' });
    assert.deepEqual(parseSenderRecord(Buffer.from('{"size":3000}')), { state: 'connected', size: 3000 });
    assert.equal(parseSenderRecord(Buffer.from('{"size":-1}')), undefined);
    assert.equal(parseSenderRecord(Buffer.from('{"size":"3000"}')), undefined);
    assert.equal(parseSenderRecord(Buffer.from('{"sent":5,"host":"h","at":"t"}'))?.state, 'sent');
  });
});

onEveryBroker((pipes) => {
  pipes.it('tells a receiver the size a sender announced, and that the stream checked out', async () => {
    const data = randomBytes(300_000);
    const receiver = pipes.receive('sized');
    await pipes.consumerAttached('sized');
    await pipes.send('sized', data, { size: data.length }).result;
    await receiver.result;
    assert.ok(receiver.output().equals(data));
    assert.deepEqual(receiver.sizes.slice(0, 1), [data.length]);
    assert.deepEqual(receiver.completions, [true]);
    assert.deepEqual(receiver.warnings, []);
  });

  pipes.it('receives from a sender that announces no size as before', async () => {
    const receiver = pipes.receive('unsized');
    await pipes.consumerAttached('unsized');
    await pipes.send('unsized', 'a line\n').result;
    await receiver.result;
    assert.equal(receiver.output().toString(), 'a line\n');
    assert.deepEqual(receiver.sizes, []);
    assert.deepEqual(receiver.completions, [true]);
  });
});
