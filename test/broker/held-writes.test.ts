// The queue's writes for a connected session, held back so that what its receiver acknowledges
// at once is never written: on a real Level database, with the batches recorded as written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOLD_DEFAULTS, type HoldSettings } from '../../src/broker/held-writes.js';
import { PipeStore } from '../../src/broker/pipe-store.js';
import { refOf } from '../../src/broker/queued-layout.js';
import { idleReclaimer, recordedLevel } from './recorded-level.js';

const session = { clientId: 'alice:pipe-mailbox' };
const client = { id: session.clientId };
const frame = (counter: number, bytes = 1024) => ({
  cmd: 'publish',
  topic: 'u/alice/skypipe/v1/p/pipe/d',
  payload: Buffer.alloc(bytes, counter),
  qos: 1,
  retain: false,
  dup: false,
  brokerId: 'broker-1',
  brokerCounter: counter,
});

/** A store whose session is connected, holding writes as `hold` says, its batches recorded. */
async function heldStore(hold: Partial<HoldSettings> = {}, failWrites = false) {
  const { db, batches } = await recordedLevel(failWrites);
  const store = new PipeStore(db, idleReclaimer(), { ...HOLD_DEFAULTS, ...hold });
  await store.setup({ id: 'broker-1' });
  store.connectedSessions((id) => id === session.clientId);
  /** Queues frame `counter` as a client's QoS 1 publish; resolves with its durability promise (wrapped, not awaited). */
  const publish = async (counter: number, bytes?: number) => {
    const packet = frame(counter, bytes);
    store.deferDurability(refOf(packet));
    await store.outgoingEnqueueCombi([session], packet);
    const durable = store.durable(refOf(packet));
    durable.catch(() => {});
    await store.outgoingUpdate(client, { ...packet, messageId: counter });
    return { durable };
  };
  const payloadPuts = () =>
    batches.flat().filter((op) => op.type === 'put' && op.key.startsWith('queued-payload:')).length;
  return { db, store, batches, publish, payloadPuts };
}

/** Whether `promise` has settled, after everything already queued has run. */
async function settledYet(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('held writes', () => {
  it('never writes a frame its receiver acknowledges while it is held, and settles it then', async () => {
    const { db, store, batches, publish } = await heldStore({ holdMs: 60_000 });
    const { durable } = await publish(1);
    assert.equal(await settledYet(durable), false, 'not before it is written or acknowledged');
    const cleared = await store.outgoingClearMessageId(client, { messageId: 1 });
    assert.deepEqual(cleared?.payload, Buffer.alloc(1024, 1), 'handed back with its payload');
    await durable;
    await store.settled();
    assert.deepEqual(batches, [], 'nothing written, nothing deleted');
    assert.deepEqual(await db.keys().all(), []);
    await db.close();
  });

  it('writes a frame not acknowledged in time, and settles it once written', async () => {
    const { db, store, publish, payloadPuts } = await heldStore({ holdMs: 30 });
    const { durable } = await publish(1);
    await durable;
    assert.equal(payloadPuts(), 1);
    const queued = [];
    for await (const packet of store.outgoingStream(client)) queued.push(packet);
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.messageId, 1, 'with the message id it was sent with');
    await store.outgoingClearMessageId(client, { messageId: 1 });
    assert.deepEqual(await db.keys().all(), []);
    await db.close();
  });

  it('writes the oldest at once past the bytes it may hold', async () => {
    const { db, store, publish, payloadPuts } = await heldStore({ holdMs: 60_000, maxHeldBytes: 2048 });
    const { durable: first } = await publish(1);
    const { durable: second } = await publish(2);
    assert.equal(payloadPuts(), 0, '2 KiB held');
    const { durable: third } = await publish(3);
    await first;
    assert.equal(payloadPuts(), 1, 'the first, written to make room');
    assert.equal(await settledYet(second), false);
    assert.equal(await settledYet(third), false);
    await store.settled();
    assert.equal(payloadPuts(), 3);
    await db.close();
  });

  it('writes what it holds before it says what is queued (a receiver back after a crash of its own)', async () => {
    const { db, store, publish } = await heldStore({ holdMs: 60_000 });
    const { durable } = await publish(1);
    const queued = [];
    for await (const packet of store.outgoingStream(client)) queued.push(packet);
    assert.deepEqual(
      queued.map((packet) => packet.payload),
      [Buffer.alloc(1024, 1)],
    );
    await durable;
    await db.close();
  });

  it('fails the frame, so its sender is not acknowledged, when the store cannot write it', async () => {
    const { db, store, publish } = await heldStore({ holdMs: 60_000 }, true);
    const { durable } = await publish(1);
    await store.settled();
    await assert.rejects(durable, /disk full/);
    await db.close();
  });

  it('writes at once for a session whose receiver is not connected', async () => {
    const { db, store, payloadPuts } = await heldStore({ holdMs: 60_000 });
    store.connectedSessions(() => false);
    const packet = frame(1);
    store.deferDurability(refOf(packet));
    await store.outgoingEnqueueCombi([session], packet);
    await store.durable(refOf(packet));
    assert.equal(payloadPuts(), 1);
    await db.close();
  });
});
