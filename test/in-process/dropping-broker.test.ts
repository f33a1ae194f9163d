// The aedes of the in-process tier that drops chosen frames (startDroppingBroker): it must deliver
// every frame it does not drop, or the tests built on it blame the receiver for the broker's loss.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeFrame, encodeFrame } from '../../src/protocol/frame.js';
import { until } from '../harness.js';
import { startDroppingBroker, type LocalBroker } from './broker.js';

const MAILBOX = 'dropping-broker-mailbox';
const TOPIC = 'dropping-broker/data';

/** A data frame of stream `streamId`, 10 bytes each. */
const frame = (streamId: Buffer, seq: number) =>
  encodeFrame({ type: 'data', streamId, seq, offset: seq * 10, payload: Buffer.alloc(10, 0x61 + seq) });

describe('the aedes that drops frames', () => {
  let broker: LocalBroker;
  before(async () => {
    // All but the first frame of each stream, to the mailbox session only.
    broker = await startDroppingBroker((clientId, { seq }) => clientId === MAILBOX && seq > 0);
  });
  after(() => broker.close());

  it('delivers a frame it keeps when frames it drops reach it in the same read', async () => {
    const mailbox = await mqtt.connectAsync(broker.url, { clientId: MAILBOX, clean: false, reconnectPeriod: 0 });
    const sender = await mqtt.connectAsync(broker.url, { clientId: 'dropping-broker-sender', reconnectPeriod: 0 });
    try {
      const got: string[] = [];
      let closed = false;
      mailbox.on('close', () => (closed = true));
      mailbox.on('message', (_topic, payload) => {
        const { streamId, seq } = decodeFrame(payload);
        got.push(`${streamId.toString('hex')}/${seq}`);
      });
      await mailbox.subscribeAsync(TOPIC, { qos: 1 });
      const [first, second] = [randomBytes(16), randomBytes(16)];
      // Three frames in one write: the broker reads them together, as it does a sender's burst.
      await inOneWrite(sender, [frame(first, 0), frame(first, 1), frame(first, 2)]);
      await sender.publishAsync(TOPIC, frame(second, 0), { qos: 1 });
      await until(() => closed || got.includes(`${second.toString('hex')}/0`), 'the second stream');
      assert.equal(closed, false, 'the broker kept the mailbox connection');
      assert.deepEqual(got, [`${first.toString('hex')}/0`, `${second.toString('hex')}/0`]);
    } finally {
      await Promise.all([mailbox.endAsync(true), sender.endAsync(true)]);
    }
  });
});

/** Publishes the messages at QoS 1 in one socket write; resolves once the broker has acknowledged them all. */
async function inOneWrite(client: MqttClient, messages: Buffer[]): Promise<void> {
  const stream = client.stream as unknown as { cork(): void; uncork(): void };
  stream.cork();
  const acknowledged = messages.map((message) => client.publishAsync(TOPIC, message, { qos: 1 }));
  // MQTT.js writes a publish a moment later (after storing it): uncork once they are all written.
  await new Promise<void>((resolve) => setImmediate(resolve));
  stream.uncork();
  await Promise.all(acknowledged);
}
