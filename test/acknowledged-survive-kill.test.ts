// Nothing acknowledged is lost when the broker is killed: a publisher keeps 16 frames in flight into
// a persistent session, the broker (`skypipe broker`, a real process) gets SIGKILL mid-stream, and
// after its restart the session is handed every frame the publisher had a PUBACK for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConnection } from 'node:net';
import mqtt from 'mqtt';
import { field, packet } from './broker/raw-mqtt.js';
import { skyWithBroker, until } from './harness.js';

const FRAME_BYTES = 64 * 1024;
const IN_FLIGHT = 16;

const frame = (n: number) => {
  const payload = Buffer.alloc(FRAME_BYTES, n % 256);
  payload.writeUInt32BE(n, 0);
  return payload;
};

describe('a broker killed with SIGKILL', { timeout: 120_000 }, () => {
  const { broker } = skyWithBroker();

  it('keeps every frame it acknowledged', async () => {
    const session = { clientId: 'kill-mailbox', clean: false, protocolVersion: 4 as const };
    const mailbox = await mqtt.connectAsync(broker.url, session);
    await mailbox.subscribeAsync('kill/d', { qos: 1 });
    await mailbox.endAsync();
    await publishThenKill(session);
  });

  it('keeps every frame it acknowledged while their receiver was connected and had not acknowledged them', async () => {
    // Frames for a connected receiver go out while the store holds their writes back: the
    // publisher's PUBACK must still wait for the write when the receiver acknowledges none. The
    // receiver reads everything (so nothing backs up) and answers nothing.
    const session = { clientId: 'kill-connected-mailbox', clean: false, protocolVersion: 4 as const };
    const silent = createConnection({ host: '127.0.0.1', port: new URL(broker.url).port as unknown as number });
    let delivered = 0;
    silent.on('data', (chunk: Buffer) => (delivered += chunk.length));
    silent.on('error', () => {});
    const connect = Buffer.concat([
      Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 0]),
      field(session.clientId),
    ]);
    silent.write(packet(0x10, connect));
    silent.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), field('kill/d'), Buffer.from([1])])));
    await until(() => delivered >= 9, 'the CONNACK and SUBACK');
    await publishThenKill(session);
    assert.ok(delivered > FRAME_BYTES, 'the receiver was sent frames before the broker died');
    silent.destroy();
  });

  async function publishThenKill(session: { clientId: string; clean: boolean; protocolVersion: 4 }): Promise<void> {
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    publisher.on('error', () => {});
    const acknowledged: number[] = [];
    let next = 0;
    const publishNext = () => {
      const n = next++;
      publisher.publish('kill/d', frame(n), { qos: 1 }, (error) => {
        if (error) return;
        acknowledged.push(n);
        if (broker.running) publishNext();
      });
    };
    for (let n = 0; n < IN_FLIGHT; n++) publishNext();
    await until(() => acknowledged.length >= 300, '300 frames acknowledged', 60_000);
    await broker.kill('SIGKILL');
    const before = [...acknowledged];
    publisher.end(true);

    await broker.start();
    const received = new Set<number>();
    // Listening before it connects: the broker sends what is queued right after the CONNACK.
    const back = mqtt.connect(broker.url, session);
    back.on('message', (_topic, payload) => {
      assert.deepEqual(payload, frame(payload.readUInt32BE(0)), 'a frame as it was sent');
      received.add(payload.readUInt32BE(0));
    });
    try {
      await until(() => before.every((n) => received.has(n)), `each of the ${before.length} frames acknowledged`);
      assert.deepEqual(
        before.filter((n) => !received.has(n)),
        [],
      );
    } finally {
      await back.endAsync();
    }
  }
});
