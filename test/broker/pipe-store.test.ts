// What the pipe store writes for a queued frame: its payload once, raw, and small records beside it;
// the writes asked for together go in one batch; the deleted payloads are compacted away.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WriteOp } from '../../src/broker/group-commit.js';
import { PayloadReclaimer } from '../../src/broker/payload-reclaimer.js';
import { PipeStore } from '../../src/broker/pipe-store.js';
import { QUEUED_PAYLOAD } from '../../src/broker/queued-layout.js';
import { RecentRecords } from '../../src/broker/recent-records.js';
import { idleReclaimer, recordedLevel } from './recorded-level.js';

/** A store on a fresh database whose batches are recorded as they are written. */
async function recordedStore(reclaimer = idleReclaimer()) {
  const { db, batches } = await recordedLevel();
  const store = new PipeStore(db, reclaimer);
  await store.setup({ id: 'broker-1' });
  return { db, store, batches };
}

const session = { clientId: 'alice:pipe-mailbox' };
const client = { id: session.clientId };
const frame = (counter: number, payload: Buffer) => ({
  cmd: 'publish',
  topic: 'u/alice/skypipe/v1/p/pipe/d',
  payload,
  qos: 1,
  retain: false,
  dup: false,
  brokerId: 'broker-1',
  brokerCounter: counter,
});
const bytesOf = (op: WriteOp) => (op.type === 'put' ? Buffer.byteLength(op.value) : 0);

describe('the pipe store', () => {
  it('writes each payload once, raw, and for each frame under 600 bytes of anything else', async () => {
    const { db, store, batches } = await recordedStore();
    const payloads = Array.from({ length: 8 }, (_, n) => Buffer.alloc(64 * 1024, n));
    for (const [n, payload] of payloads.entries()) {
      await store.outgoingEnqueueCombi([session], frame(n + 1, payload));
      await store.outgoingUpdate(client, { ...frame(n + 1, payload), messageId: n + 100 });
      const cleared = await store.outgoingClearMessageId(client, { messageId: n + 100 });
      assert.deepEqual(cleared?.payload, payload);
    }
    const puts = batches.flat().filter((op) => op.type === 'put');
    const payloadPuts = puts.filter((op) => op.key.startsWith(QUEUED_PAYLOAD));
    assert.equal(payloadPuts.length, payloads.length);
    payloadPuts.forEach((op, n) =>
      assert.equal(op.type === 'put' && op.value, payloads[n], 'the same buffer, not a copy'),
    );
    const others = puts.filter((op) => !op.key.startsWith(QUEUED_PAYLOAD)).reduce((sum, op) => sum + bytesOf(op), 0);
    assert.ok(others < 600 * payloads.length, `${others} bytes of records for ${payloads.length} frames`);
    assert.deepEqual(await db.keys().all(), [], 'nothing left once every frame is acknowledged');
    await db.close();
  });

  it('writes the frames asked for together in one batch, in the order asked', async () => {
    const { db, store, batches } = await recordedStore();
    await Promise.all(
      Array.from({ length: 10 }, (_, n) => store.outgoingEnqueue(session, frame(n + 1, Buffer.from(`${n}`)))),
    );
    assert.equal(batches.length, 1);
    const queued: { payload?: unknown }[] = [];
    for await (const packet of store.outgoingStream(client)) queued.push(packet as { payload?: unknown });
    assert.deepEqual(
      queued.map((packet) => String(packet.payload)),
      Array.from({ length: 10 }, (_, n) => `${n}`),
    );
    await db.close();
  });

  it('compacts the payloads away each time enough of them were deleted, one compaction at a time', async () => {
    const compactions: (() => void)[] = [];
    const reclaimer = new PayloadReclaimer(
      () => new Promise<void>((resolve) => compactions.push(resolve)),
      () => true,
      3 * 1024,
    );
    const { db, store } = await recordedStore(reclaimer);
    const acknowledge = async (n: number) => {
      await store.outgoingEnqueue(session, frame(n, Buffer.alloc(1024)));
      await store.outgoingUpdate(client, { ...frame(n, Buffer.alloc(1024)), messageId: n });
      await store.outgoingClearMessageId(client, { messageId: n });
    };
    for (const n of [1, 2]) await acknowledge(n);
    assert.equal(compactions.length, 0, 'not yet: 2 KiB deleted');
    await acknowledge(3);
    assert.equal(compactions.length, 1, 'at 3 KiB');
    for (const n of [4, 5, 6, 7]) await acknowledge(n);
    assert.equal(compactions.length, 1, 'none while one runs');
    compactions[0]!();
    await reclaimer.stopped();
    await acknowledge(8);
    assert.equal(compactions.length, 2, 'once it is done, as what was deleted meanwhile is past 3 KiB');
    compactions[1]!();
    await reclaimer.stopped();
    await db.close();
  });

  it('keeps the records it wrote last in memory, at most so many, the oldest dropped first', () => {
    const recent = new RecentRecords<string>(3);
    for (const key of ['a', 'b', 'c']) recent.set(key, key.toUpperCase());
    recent.set('a', 'A again');
    recent.set('d', 'D');
    assert.deepEqual(
      ['a', 'b', 'c', 'd'].map((key) => recent.get(key)),
      ['A again', undefined, 'C', 'D'],
    );
    recent.delete('c');
    assert.equal(recent.get('c'), undefined);
  });

  it('reads from the store what it no longer keeps in memory', async () => {
    const { db, store } = await recordedStore();
    await store.outgoingEnqueue(session, frame(1, Buffer.from('kept')));
    const reopened = new PipeStore(db, idleReclaimer());
    await reopened.outgoingUpdate(client, { ...frame(1, Buffer.from('kept')), messageId: 9 });
    // A PUBLISH's new message id goes out before it is stored.
    await reopened.settled();
    const again = new PipeStore(db, idleReclaimer());
    const cleared = await again.outgoingClearMessageId(client, { messageId: 9 });
    assert.equal(String(cleared?.payload), 'kept');
    assert.equal(cleared?.messageId, 9);
    assert.deepEqual(await db.keys().all(), []);
    await db.close();
  });
});
