// A persistent session that resumes with messages queued, and subscribes to the advertisement
// topic at once, hears the advertisement only after every queued message: a skypipe sender takes
// it as the end of the mailbox's queue instead of waiting for quiet. In-process broker, stock
// MQTT.js clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { parseAdvertisement } from '../../src/protocol/advertisement.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;
const QUEUED = 300;
const root = 'u/quinn/skypipe/v1';

describe('the advertisement to a resumed session', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['quinn']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('comes after everything queued for it, and says so', async () => {
    const mailbox = { clientId: 'mailbox', clean: false };
    const first = await broker.connectAs('quinn', mailbox);
    await first.subscribeAsync(`${root}/q/d`, { qos: 1 });
    await first.endAsync();
    const sender = await broker.connectAs('quinn');
    for (let n = 0; n < QUEUED; n++) await sender.publishAsync(`${root}/q/d`, Buffer.alloc(4096, n), { qos: 1 });
    await sender.endAsync();

    const heard: string[] = [];
    const resumed = mqtt.connect(broker.url, {
      ...mailbox,
      protocolVersion: 4,
      username: 'quinn',
      password: 'quinn secret',
      reconnectPeriod: 0,
    });
    const advertised = new Promise<Buffer>((resolve) =>
      resumed.on('message', (topic, payload) => {
        heard.push(topic);
        if (topic.endsWith('%broker')) resolve(payload);
      }),
    );
    // At once, while the broker is still sending the queue.
    resumed.on('connect', () => void resumed.subscribe([`${root}/q/d`, `${root}/%broker`], { qos: 1 }));
    const payload = await advertised;
    assert.equal(parseAdvertisement(payload)?.queueFirst, true);
    assert.equal(heard.length, QUEUED + 1);
    assert.deepEqual(
      heard.slice(0, QUEUED).filter((topic) => topic !== `${root}/q/d`),
      [],
    );
    resumed.end(true);
  });
});
