// A client that subscribes and then publishes to a topic of its own hears every retained message
// of the subscription before its own publish comes back: skypipe reads records that way. aedes
// read the retained messages from the store while it went on with the client's publish, which
// then overtook some of them. In-process broker; the reads are skypipe's own, with a stock
// MQTT.js client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readRetainedTopics } from '../../src/client/transport/retained.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;
const TOPICS = 300;
/**
 * A SUBSCRIBE may name 8 topics, and a client hold 64 subscriptions: a read takes its topics and
 * an echo topic, and gives them up without waiting, so the reads before may still hold theirs.
 */
const PER_READ = 7;
const SIDE_BY_SIDE = 4;

describe('retained messages before a later publish', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['rhea']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('every retained message of a subscription arrives before the echo of a publish after it', async () => {
    const topics = Array.from({ length: TOPICS }, (_, n) => `u/rhea/records/${n}`);
    const writer = await broker.connectAs('rhea');
    await Promise.all(
      topics.map((topic, n) => writer.publishAsync(topic, Buffer.from(`record ${n}`), { qos: 1, retain: true })),
    );
    await writer.endAsync();
    const reader = await broker.connectAs('rhea');
    reader.setMaxListeners(0);
    const missing: string[] = [];
    // Reads side by side, as a sender's start and its receiver's may be.
    for (let at = 0; at < TOPICS; at += SIDE_BY_SIDE * PER_READ) {
      const reads = Array.from({ length: SIDE_BY_SIDE }, (_, n) => at + n * PER_READ).map((from) =>
        readRetainedTopics(reader, topics.slice(from, from + PER_READ), 'u/rhea/echo'),
      );
      for (const read of await Promise.all(reads))
        for (const [topic, payload] of read)
          if (payload?.toString() !== `record ${topics.indexOf(topic)}`) missing.push(topic);
    }
    await reader.endAsync();
    assert.deepEqual(missing, []);
  });
});
