// What a SUBSCRIBE may cost and reach: a persistent session keeps only what was granted, a packet
// of many topics is refused cheaply, and one client holds a bounded number of subscriptions. The
// broker runs in-process (real aedes, real store on disk); the clients are stock MQTT.js.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';

const brokers = new BrokerDir();
let broker: TestBroker;
let url = '';
const connectAs = (user: string, options: mqtt.IClientOptions = {}) => broker.connectAs(user, options);

describe('subscriptions', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice', 'bob']);
    broker = await brokers.start();
    url = broker.url;
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it("keeps no refused topic in a persistent session: another user's data never queues for it", async () => {
    const session = { clientId: 'bob-box', clean: false };
    const bob = await connectAs('bob', session);
    // The SUBACK as the broker sent it: a return code per topic, 0x80 for a refusal.
    const suback = new Promise<number[]>((resolve) =>
      bob.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') resolve(packet.granted as number[]);
      }),
    );
    bob.subscribe({ 'u/bob/skypipe/v1/mine/d': { qos: 1 }, 'u/alice/#': { qos: 1 } }, () => {});
    assert.deepEqual(await suback, [1, 0x80]);
    await bob.endAsync();
    const alice = await connectAs('alice', { clientId: 'alice-box' });
    await alice.publishAsync('u/alice/skypipe/v1/inbox/d', 'for alice only', { qos: 1 });
    await alice.endAsync();
    const own = await connectAs('bob', { clientId: 'bob-sender' });
    await own.publishAsync('u/bob/skypipe/v1/mine/d', 'for bob', { qos: 1 });
    await own.endAsync();
    const seen: string[] = [];
    // Listening before the CONNACK: a session's queued messages may come in the same read.
    const back = mqtt.connect(url, {
      protocolVersion: 4,
      username: 'bob',
      password: 'bob secret',
      reconnectPeriod: 0,
      ...session,
    });
    back.on('message', (_topic, message) => seen.push(message.toString()));
    await until(() => seen.includes('for bob'), "bob's own queued message");
    assert.ok(!seen.includes('for alice only'), seen.join(', '));
    await back.endAsync();
  });

  it('closes a connection whose SUBSCRIBE names more than 8 topics, before the broker does any of them', async () => {
    const greedy = await connectAs('bob', { clientId: 'bob-greedy', clean: false });
    const closed = new Promise<void>((resolve) => greedy.on('close', () => resolve()));
    let subacked = false;
    greedy.on('packetreceive', (packet) => (subacked ||= packet.cmd === 'suback'));
    const topics = Object.fromEntries(
      Array.from({ length: 1000 }, (_, index) => [`u/bob/t/${index}`, { qos: 1 as const }]),
    );
    greedy.subscribe(topics, () => {});
    await closed;
    assert.equal(subacked, false);
    greedy.end(true);
    // The broker goes on serving others.
    const other = await connectAs('alice', { clientId: 'alice-after' });
    await other.publishAsync('u/alice/after', 'still here', { qos: 1 });
    await other.endAsync();
  });

  it("grants one client at most 64 subscriptions, and stores a persistent session's once each", async () => {
    const session = { clientId: 'bob-many', clean: false };
    const many = await connectAs('bob', session);
    const subacks: number[][] = [];
    many.on('packetreceive', (packet) => {
      if (packet.cmd === 'suback') subacks.push(packet.granted as number[]);
    });
    const subscribe = (topics: string[]) =>
      new Promise<void>((resolve) =>
        many.subscribe(Object.fromEntries(topics.map((topic) => [topic, { qos: 1 as const }])), () => resolve()),
      );
    for (let packet = 0; packet < 8; packet++)
      await subscribe(Array.from({ length: 8 }, (_, index) => `u/bob/many/${packet * 8 + index}`));
    await subscribe(['u/bob/many/64', 'u/bob/many/0']);
    assert.equal(subacks.length, 9);
    assert.ok(subacks.slice(0, 8).every((granted) => granted.every((qos) => qos === 1)));
    assert.deepEqual(subacks[8], [0x80, 1]);
    await many.endAsync();
    // Back on the session: the 64 stored subscriptions, and no more, deliver what was queued meanwhile.
    const sender = await connectAs('bob', { clientId: 'bob-many-sender' });
    await sender.publishAsync('u/bob/many/63', 'kept', { qos: 1 });
    await sender.publishAsync('u/bob/many/64', 'never granted', { qos: 1 });
    await sender.endAsync();
    const seen: string[] = [];
    const back = mqtt.connect(url, { protocolVersion: 4, username: 'bob', password: 'bob secret', ...session });
    back.on('message', (_topic, message) => seen.push(message.toString()));
    await until(() => seen.includes('kept'), 'the message queued for a stored subscription');
    assert.deepEqual(seen, ['kept']);
    back.end(true);
  });
});
