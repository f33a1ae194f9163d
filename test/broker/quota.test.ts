// --max-bytes-per-user is hard: every byte the store keeps for a user counts (retained messages on
// any topic, QoS 1 copies for any persistent session, frames a sender has in flight), and what a
// receiver needs to drain a full pipe still gets in. In-process broker, stock clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { encodeFrame } from '../../src/protocol/frame.js';
import { pipeTopics, topicRoot } from '../../src/protocol/topics.js';
import { readRetained } from '../../src/client/transport/retained.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';

const LIMIT = 1024 * 1024;
const brokers = new BrokerDir();
let broker: TestBroker;

/** The broker's count of what it stores for `user`, from /metrics. */
async function storedFor(user: string): Promise<number> {
  const metrics = await (await fetch(`${broker.running.http}/metrics`)).text();
  const line = new RegExp(`^skypipe_broker_stored_bytes\\{user="${user}"\\} (\\d+)$`, 'm').exec(metrics);
  return line === null ? 0 : Number(line[1]);
}

/** The reasons the broker gave `client` on the advertisement topics it sent. */
function refusalsTo(client: MqttClient): { topic: string; reason: string }[] {
  const heard: { topic: string; reason: string }[] = [];
  client.on('message', (topic, payload) => {
    if (!topic.endsWith('/%broker')) return;
    const refused = (JSON.parse(payload.toString()) as { refused?: string }).refused;
    if (refused !== undefined) heard.push({ topic, reason: refused });
  });
  return heard;
}

/** When the broker closes the connection (which it may reset while the client writes). */
function closedOf(client: MqttClient): Promise<void> {
  client.on('error', () => {});
  return new Promise((resolve) => client.once('close', () => resolve()));
}

interface Message {
  topic: string;
  payload: Buffer;
  retain?: boolean;
}

/** Publishes at QoS 1 one after the other until the broker closes the connection; how many it acknowledged. */
async function publishOneByOne(client: MqttClient, messages: Message[]): Promise<number> {
  const closed = closedOf(client).then(() => 'closed' as const);
  let acknowledged = 0;
  for (const { topic, payload, retain = false } of messages) {
    const outcome = await Promise.race([client.publishAsync(topic, payload, { qos: 1, retain }), closed]);
    if (outcome === 'closed') return acknowledged;
    acknowledged += 1;
  }
  return acknowledged;
}

/** Publishes them all at once, as a sender with a window of frames in flight; how many the broker acknowledged before it closed the connection (or all). */
async function publishAllAtOnce(client: MqttClient, messages: Message[]): Promise<number> {
  let acknowledged = 0;
  let all: () => void = () => {};
  const acknowledgedAll = new Promise<void>((resolve) => (all = resolve));
  const closed = closedOf(client);
  for (const { topic, payload, retain = false } of messages)
    client.publish(topic, payload, { qos: 1, retain }, (error) => {
      if (!error && ++acknowledged === messages.length) all();
    });
  await Promise.race([closed, acknowledgedAll]);
  return acknowledged;
}

/** Connects a persistent session subscribed to `filter`, and leaves it. */
async function persistentSession(user: string, clientId: string, filter: string): Promise<void> {
  const session = await broker.connectAs(user, { clientId, clean: false });
  await session.subscribeAsync(filter, { qos: 1 });
  await session.endAsync();
}

/** Connects `clientId` again and takes what it receives until `drained` says it has all. */
async function drain(user: string, clientId: string, drained: (got: Buffer[]) => Promise<boolean>): Promise<Buffer[]> {
  const got: Buffer[] = [];
  // Listening before the CONNACK: the broker sends what is queued right after it.
  const session = mqtt.connect(broker.url, {
    protocolVersion: 4,
    username: user,
    password: `${user} secret`,
    reconnectPeriod: 0,
    clientId,
    clean: false,
  });
  session.on('message', (_topic, payload) => got.push(payload));
  await new Promise((resolve) => session.once('connect', resolve));
  await until(() => drained(got), `what waits for ${clientId}`);
  await session.endAsync();
  return got;
}

const sum = (payloads: Buffer[]) => payloads.reduce((total, payload) => total + payload.length, 0);
const junk = (bytes: number) => Buffer.alloc(bytes, 0x61);
const KEPT = `\\(the last 65536 bytes of it kept for receivers' records\\)`;
const reasonFor = (user: string) =>
  new RegExp(
    `^user '${user}' has [\\d.]+ (MiB|bytes) stored, and [\\d.]+ (MiB|bytes) more is over its quota of 1\\.0 MiB ${KEPT}; receive some, or ask for a larger quota$`,
  );

describe('the byte quota per user', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['rita', 'quinn', 'sam', 'dora', 'wilma']);
    broker = await brokers.start({ http: { host: '127.0.0.1', port: 0 } }, { maxBytesPerUser: LIMIT });
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('counts retained messages on any topic, refuses those over it with a reason, and lets records be cleared', async () => {
    const attacker = await broker.connectAs('rita');
    const heard = refusalsTo(attacker);
    const messages = Array.from({ length: 150 }, (_, n) => ({
      topic: `u/rita/junk/${n}`,
      payload: junk(10 * 1024),
      retain: true,
    }));
    const acknowledged = await publishOneByOne(attacker, messages);
    assert.ok(acknowledged > 80 && acknowledged < 100, `${acknowledged} retained messages acknowledged`);
    assert.equal(heard.length, 1);
    assert.equal(heard[0]!.topic, `${topicRoot(undefined, 'rita')}/%broker`);
    assert.match(heard[0]!.reason, reasonFor('rita'));
    // What the store holds, read back: exactly what it acknowledged, within the quota.
    const reader = await broker.connectAs('rita');
    reader.setMaxListeners(0);
    const kept: Buffer[] = [];
    // 10 at a time: a client may hold 64 subscriptions, and each read takes two.
    for (let at = 0; at < messages.length; at += 10) {
      const batch = messages.slice(at, at + 10).map(({ topic }) => readRetained(reader, topic, 'u/rita/echo'));
      for (const payload of await Promise.all(batch)) if (payload !== null) kept.push(payload);
    }
    assert.equal(kept.length, acknowledged);
    assert.ok(sum(kept) <= LIMIT, `${sum(kept)} bytes retained`);
    const stored = await storedFor('rita');
    assert.ok(stored <= LIMIT && stored > sum(kept), `the broker counts ${stored} bytes`);
    // Many small ones are no way around it: each counts at least a record's slot.
    const tiny = Array.from({ length: 100 }, (_, n) => ({ topic: `u/rita/tiny/${n}`, payload: junk(1), retain: true }));
    assert.ok((await publishOneByOne(await broker.connectAs('rita'), tiny)) < 10);
    assert.ok((await storedFor('rita')) <= LIMIT);
    // Clearing always gets in, and frees what the message took.
    assert.equal(
      await publishOneByOne(reader, [{ topic: 'u/rita/junk/0', payload: Buffer.alloc(0), retain: true }]),
      1,
    );
    assert.ok((await storedFor('rita')) < LIMIT - 10 * 1024);
    await reader.endAsync();
  });

  it("counts each QoS 1 copy queued for the user's persistent sessions, on any topic, and what is in flight", async () => {
    await persistentSession('quinn', 'hoard', 'u/quinn/hoard/#');
    const attacker = await broker.connectAs('quinn');
    const heard = refusalsTo(attacker);
    const messages = Array.from({ length: 60 }, () => ({ topic: 'u/quinn/hoard/x', payload: junk(32 * 1024) }));
    const acknowledged = await publishAllAtOnce(attacker, messages);
    assert.ok(acknowledged > 20 && acknowledged < 32, `${acknowledged} messages acknowledged`);
    // The reason, when it arrives: closing a connection with frames unread may reset it and lose what was sent.
    assert.ok(heard.every(({ reason }) => reasonFor('quinn').test(reason)));
    const stored = await storedFor('quinn');
    assert.ok(stored <= LIMIT, `the broker counts ${stored} bytes`);
    // Every acknowledged message is there (the reset may have lost some acknowledgements on the way).
    const queued = await drain('quinn', 'hoard', async () => (await storedFor('quinn')) === 0);
    assert.ok(queued.length >= acknowledged && sum(queued) <= LIMIT, `${queued.length} messages delivered`);
  });

  it("holds a sender's window of frames in flight to the quota", async () => {
    const topics = pipeTopics('burst', topicRoot(undefined, 'sam')!);
    await persistentSession('sam', topics.mailboxClientId, topics.data);
    const sender = await broker.connectAs('sam');
    const heard = refusalsTo(sender);
    const frames = Array.from({ length: 24 }, () => ({ topic: topics.data, payload: junk(128 * 1024) }));
    const acknowledged = await publishAllAtOnce(sender, frames);
    assert.ok(acknowledged >= 6 && acknowledged < 8, `${acknowledged} frames acknowledged`);
    assert.ok(heard.every(({ topic, reason }) => topic === topics.advertisement && reasonFor('sam').test(reason)));
    assert.ok((await storedFor('sam')) <= LIMIT);
    const queued = await drain('sam', topics.mailboxClientId, async () => (await storedFor('sam')) === 0);
    assert.ok(queued.length >= acknowledged && sum(queued) <= LIMIT, `${queued.length} frames delivered`);
  });

  it('counts the Wills its connections leave with the broker, and refuses a CONNECT whose Will does not fit', async () => {
    const will = { topic: 'u/wilma/last-words', payload: junk(60 * 1024), qos: 1 as const, retain: true };
    const held: MqttClient[] = [];
    let refusal: (Error & { code?: number }) | null = null;
    while (refusal === null && held.length < 40) {
      await broker.connectAs('wilma', { clientId: `w${held.length}`, will }).then(
        (client) => held.push(client),
        (error: Error) => (refusal = error),
      );
    }
    assert.equal(held.length, 15, 'connections whose Wills fit in the quota, less the room kept for records');
    assert.equal(refusal!.code, 3);
    assert.ok((await storedFor('wilma')) <= LIMIT);
    // An empty Will (a record cleared when the connection dies) always gets in.
    const empty = await broker.connectAs('wilma', { clientId: 'w-empty', will: { ...will, payload: Buffer.alloc(0) } });
    for (const client of [...held, empty]) await client.endAsync();
    await until(async () => (await storedFor('wilma')) === 0, 'the Wills gone with their connections');
  });

  it('lets a receiver drain a pipe at the quota: presence, progress, sync frames and clearing get in', async () => {
    const topics = pipeTopics('full', topicRoot(undefined, 'dora')!);
    await persistentSession('dora', topics.mailboxClientId, topics.data);
    const sender = await broker.connectAs('dora');
    const heard = refusalsTo(sender);
    const frames = Array.from({ length: 40 }, () => ({ topic: topics.data, payload: junk(64 * 1024) }));
    const sent = await publishOneByOne(sender, frames);
    assert.ok(sent >= 14 && sent < 16, `${sent} frames acknowledged`);
    assert.match(heard[0]?.reason ?? '', reasonFor('dora'));
    // Full for anything but a receiver's records.
    const other = { topic: 'u/dora/x', payload: junk(64 * 1024), retain: true };
    assert.equal(await publishOneByOne(await broker.connectAs('dora'), [other]), 0);
    // A receiver's records.
    const receiver = await broker.connectAs('dora');
    const presence = Buffer.from(JSON.stringify({ id: 'abcdef', host: 'receiver.example', pid: 4242 }));
    const sync = encodeFrame({
      type: 'sync',
      streamId: Buffer.alloc(16, 7),
      seq: 0,
      offset: 0,
      payload: Buffer.alloc(0),
    });
    const progress = (n: number) => ({
      topic: topics.progress(n.toString(16).padStart(32, '0')),
      payload: Buffer.from(String(n * 65536)),
      retain: true,
    });
    assert.equal(
      await publishOneByOne(receiver, [
        { topic: topics.presence, payload: presence, retain: true },
        { topic: topics.data, payload: sync },
        progress(1),
      ]),
      3,
    );
    // Records fill the room kept for them at most up to the quota, then stop too.
    const large = Array.from({ length: 100 }, (_, n) => ({ ...progress(n + 2), payload: junk(4096) }));
    const records = await publishOneByOne(receiver, large);
    assert.ok(records > 20 && records < 40, `${records} more records`);
    assert.ok((await storedFor('dora')) <= LIMIT);
    // At the quota, rewriting a record within its slot and clearing one still get in.
    const cleaner = await broker.connectAs('dora');
    const rewritten = { ...progress(1), payload: Buffer.from(String(2 * 65536)) };
    const cleared = { topic: topics.presence, payload: Buffer.alloc(0), retain: true };
    assert.equal(await publishOneByOne(cleaner, [rewritten, cleared]), 2);
    assert.deepEqual(await readRetained(cleaner, rewritten.topic, 'u/dora/echo'), rewritten.payload);
    // Every frame comes out, the sync frame after them; then there is room again.
    const delivered = await drain('dora', topics.mailboxClientId, async (got) => got.length >= sent + 1);
    assert.equal(delivered.length, sent + 1);
    assert.deepEqual(delivered.at(-1), sync);
    await until(async () => (await storedFor('dora')) < LIMIT / 2, 'room again once the pipe is received');
    assert.equal(await publishOneByOne(cleaner, [{ topic: topics.data, payload: junk(64 * 1024) }]), 1);
    await cleaner.endAsync();
  });
});
