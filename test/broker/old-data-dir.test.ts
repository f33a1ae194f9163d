// A data directory written by an older broker (aedes-persistence-level's own layout of queued
// messages) is moved into the pipe store's layout when the broker opens it: every queued frame is
// still there, with the message id it was sent with, counted for the metrics and the quota.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import { openStorage } from '../../src/broker/storage.js';

const dir = mkdtempSync(join(tmpdir(), 'skypipe-old-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface OldStore {
  setup(broker: { id: string }): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<unknown>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<void>;
}

interface QueueStore {
  outgoingStream(client: {
    id: string;
  }): AsyncIterable<{ payload?: Buffer; messageId?: number; brokerCounter?: number }>;
  outgoingClearMessageId(
    client: { id: string },
    packet: { messageId: number },
  ): Promise<{ payload?: Buffer } | undefined>;
}

const session = 'alice:inbox-mailbox';
const frame = (counter: number) => ({
  cmd: 'publish',
  topic: 'u/alice/skypipe/v1/p/inbox/d',
  payload: Buffer.from(`frame ${counter}`),
  qos: 1,
  retain: false,
  dup: false,
  brokerId: 'old-broker',
  brokerCounter: counter,
});

describe('a data directory of the older layout', () => {
  it('is moved into the new one on open, no frame lost', async () => {
    const db = new Level<string, string>(dir);
    const old = aedesPersistenceLevel(db) as unknown as OldStore;
    await old.setup({ id: 'old-broker' });
    for (const counter of [1, 2, 3]) await old.outgoingEnqueueCombi([{ clientId: session }], frame(counter));
    await old.outgoingUpdate({ id: session }, { ...frame(1), messageId: 7 });
    await db.close();

    const storage = await openStorage({ kind: 'disk', dataDir: dir });
    assert.deepEqual([...storage.queued!.bySession()], [[session, 3]]);
    assert.deepEqual([...storage.queued!.bytesByUser()], [['alice', 21]]);
    const store = storage.persistence as QueueStore;
    const queued = [];
    for await (const packet of store.outgoingStream({ id: session })) queued.push(packet);
    assert.deepEqual(
      queued.map(({ payload, messageId, brokerCounter }) => [String(payload), messageId, brokerCounter]),
      [
        ['frame 1', 7, 1],
        ['frame 2', undefined, 2],
        ['frame 3', undefined, 3],
      ],
    );
    const cleared = await store.outgoingClearMessageId({ id: session }, { messageId: 7 });
    assert.equal(String(cleared?.payload), 'frame 1');
    assert.deepEqual([...storage.queued!.bySession()], [[session, 2]]);
    await storage.close();

    const reopened = new Level<string, string>(dir);
    const oldKeys = await reopened.keys({ gte: 'outgoing', lt: 'outgoinh' }).all();
    assert.deepEqual(oldKeys, []);
    await reopened.close();
  });
});
