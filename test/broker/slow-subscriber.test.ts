// A subscriber that never reads its socket cannot make the broker hold what it is sent without
// bound: past 64 MiB waiting to go out to it, the broker lets it go, and the publisher goes on.
// A raw subscriber that stops reading, a stock MQTT.js publisher; in-process broker.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';
import { connectPacket, field, packet } from './raw-mqtt.js';

const brokers = new BrokerDir();
let broker: TestBroker;

describe('a subscriber that does not read', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start({ limits: { maximumPacketSize: 2 * 1024 * 1024 } });
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('is let go once 64 MiB wait to go out to it, while the publisher is served', async () => {
    const subscriber = connect(broker.port, '127.0.0.1');
    subscriber.on('error', () => {});
    let received = 0;
    let subscribed = false;
    const closed = new Promise<void>((resolve) => subscriber.once('close', () => resolve()));
    subscriber.on('data', (chunk) => {
      received += chunk.length;
      // CONNACK (4 bytes) and SUBACK (5): from then on it reads nothing.
      if (!subscribed && received >= 9) {
        subscribed = true;
        subscriber.pause();
      }
    });
    subscriber.write(connectPacket('alice-stalled', 'alice', 'alice secret'));
    subscriber.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), field('u/alice/firehose'), Buffer.from([0])])));
    await until(() => subscribed, 'the subscription');

    const publisher = await broker.connectAs('alice', { clientId: 'alice-firehose' });
    const megabyte = Buffer.alloc(1024 * 1024, 0x61);
    for (let sent = 0; sent < 160; sent++) await publisher.publishAsync('u/alice/firehose', megabyte, { qos: 1 });
    await publisher.endAsync();

    // What the subscriber can still read is what got out before the broker let it go.
    subscriber.resume();
    await closed;
    assert.ok(received < 96 * 1024 * 1024, `${(received / 1024 / 1024).toFixed(1)} MiB reached the subscriber`);
  });
});
