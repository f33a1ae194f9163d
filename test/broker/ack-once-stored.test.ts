// "Acknowledged" means "stored": with the store's writes held back, a QoS 1 publish for a persistent
// session gets no PUBACK, while packets sent after it are answered; once the write is done, the
// PUBACK comes and the frame is in the store. Real aedes, the pipe store on a real database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Aedes } from 'aedes';
import { Level } from 'level';
import mqtt from 'mqtt';
import { AckOnceStored } from '../../src/broker/ack-once-stored.js';
import type { WriteOp } from '../../src/broker/group-commit.js';
import { PayloadReclaimer } from '../../src/broker/payload-reclaimer.js';
import { PipeStore } from '../../src/broker/pipe-store.js';
import { QUEUED } from '../../src/broker/queued-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'skypipe-ack-once-stored-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The database's writes of queued messages, held back while `holding`, each let go by release(). */
class HeldWrites {
  holding = false;
  private readonly held: (() => void)[] = [];
  private heard: (() => void) | null = null;

  constructor(db: Level<string, string>) {
    const batch = db.batch.bind(db) as (ops: WriteOp[], options: object) => Promise<void>;
    (db as unknown as { batch: typeof batch }).batch = (ops, options) => {
      if (!this.holding || !ops.some((op) => op.key.startsWith(QUEUED))) return batch(ops, options);
      return new Promise<void>((resolve, reject) => {
        this.held.push(() => batch(ops, options).then(resolve, reject));
        this.heard?.();
      });
    };
  }

  /** Settles once a write is held. */
  async oneHeld(): Promise<void> {
    if (this.held.length === 0) await new Promise<void>((resolve) => (this.heard = resolve));
  }

  release(): void {
    this.holding = false;
    for (const write of this.held.splice(0)) write();
  }
}

describe('a QoS 1 publish', () => {
  it('is acknowledged once it is stored, not before', async () => {
    const db = new Level<string, string>(dir);
    await db.open();
    const writes = new HeldWrites(db);
    const store = new PipeStore(
      db,
      new PayloadReclaimer(
        async () => {},
        () => true,
      ),
    );
    const ackOnceStored = new AckOnceStored();
    const aedes = await Aedes.createBroker({
      persistence: store as never,
      authorizePublish: (client, packet, callback) => ackOnceStored.authorized(client, packet, null, callback),
    });
    ackOnceStored.follow(aedes);
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients: mqtt.MqttClient[] = [];
    try {
      const mailbox = await mqtt.connectAsync(url, { clientId: 'mailbox', clean: false, protocolVersion: 4 });
      await mailbox.subscribeAsync('pipe/d', { qos: 1 });
      await mailbox.endAsync();

      writes.holding = true;
      const publisher = await mqtt.connectAsync(url, { protocolVersion: 4 });
      clients.push(publisher);
      let acknowledged = false;
      const puback = new Promise<void>((resolve, reject) =>
        publisher.publish('pipe/d', 'frame', { qos: 1 }, (error) => {
          acknowledged = true;
          if (error) reject(error);
          else resolve();
        }),
      );
      await writes.oneHeld();
      // Answered after the PUBLISH, on the same connection: a PUBACK sent before would be in first.
      await publisher.subscribeAsync('elsewhere', { qos: 0 });
      assert.equal(acknowledged, false, 'no PUBACK while the frame is not stored');

      writes.release();
      await puback;
      const queued: { payload?: unknown }[] = [];
      for await (const packet of store.outgoingStream({ id: 'mailbox' })) queued.push(packet as { payload?: unknown });
      assert.deepEqual(
        queued.map((packet) => String(packet.payload)),
        ['frame'],
      );
    } finally {
      await Promise.all(clients.map((client) => client.endAsync()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close();
    }
  });
});
