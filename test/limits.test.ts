// The broker's limits: the largest packet it reads, enforced while reading, and the limits it
// advertises so that senders size frames and capacity to them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { pipeTopics } from '../src/protocol/topics.js';
import { watchFrames } from './frame-watch.js';
import { ForegroundBroker, Sky, sleep, until } from './harness.js';

const MAX_PACKET = 70_000;
const CAPACITY = 64 * 1024;

/** An MQTT 3.1.1 CONNECT with a clean session and `clientId`, built by hand: the test speaks raw bytes. */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const variable = Buffer.from([0, 4, ...Buffer.from('MQTT'), 4, 0x02, 0, 60]);
  const payload = Buffer.concat([Buffer.from([0, id.length]), id]);
  return Buffer.concat([Buffer.from([0x10, variable.length + payload.length]), variable, payload]);
}

/** The fixed header of a QoS 0 PUBLISH whose remaining length is `length`. */
function publishHeader(length: number): Buffer {
  const bytes = [0x30];
  do {
    let byte = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    bytes.push(byte);
  } while (length > 0);
  return Buffer.from(bytes);
}

describe('broker limits', () => {
  const sky = new Sky();
  let broker: ForegroundBroker;

  before(async () => {
    broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), [
      '--max-packet-size',
      String(MAX_PACKET),
      '--pipe-capacity',
      '64K',
    ]);
    await broker.start();
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await sky.close();
  });

  it('advertises its version and limits to a client that asks, under any topic root', async () => {
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    const received = new Map<string, string>();
    client.on('message', (topic, payload) => received.set(topic, payload.toString()));
    const topics = ['skypipe/v1/%broker', 'team/skypipe/v1/%broker'];
    await client.subscribeAsync(topics, { qos: 0 });
    await client.publishAsync('skypipe/v1/x/e/t', 'echo', { qos: 1 });
    await until(() => topics.every((topic) => received.has(topic)), 'the advertisement under each root');
    await client.endAsync();
    for (const topic of topics)
      assert.deepEqual(
        JSON.parse(received.get(topic) ?? 'null'),
        {
          skypipe: version,
          maximumPacketSize: MAX_PACKET,
          pipeCapacity: CAPACITY,
          queueFirst: true,
          acknowledgesStored: true,
        },
        topic,
      );
  });

  it('closes the connection of a client that starts a packet over the maximum, before reading its body', async () => {
    const before = broker.rss();
    const socket = tcpConnect({ host: '127.0.0.1', port: broker.port });
    await new Promise((resolve) => socket.once('connect', resolve));
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => {});
    socket.write(connectPacket('oversize'));
    const total = 100 * 1024 * 1024;
    socket.write(Buffer.concat([publishHeader(total), Buffer.from([0, 1, 0x74])]));
    let written = 0;
    const piece = Buffer.alloc(1024 * 1024);
    while (!closed && written < total) {
      if (!socket.write(piece))
        await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
      written += piece.length;
    }
    await until(() => closed, 'the broker to close the connection');
    assert.ok(closed, 'the broker closed the connection');
    // What the kernel's socket buffers took before the close was seen: far short of the packet.
    assert.ok(written < 32 * 1024 * 1024, `the client got ${written} bytes out before the close`);
    assert.ok(broker.rss() - before < 32 * 1024 * 1024, `broker memory grew by ${broker.rss() - before} bytes`);
    // The broker serves on.
    assert.equal((await sky.run(['send', 'after', '--url', broker.url], { input: 'still here\n' })).code, 0);
  });

  it('gets senders to cut frames that fit its packet limit and to keep within its advertised capacity', async () => {
    const data = randomBytes(300_000);
    const frames = await watchFrames(broker.url, pipeTopics('sized').data);
    const sender = sky.start(['send', 'sized', '--url', broker.url], { input: data });
    // 300 kB is more than the 64 KiB capacity: with nobody receiving, the sender waits once its
    // first frame has filled the pipe.
    try {
      await frames.sent(1);
      // A sender that did not wait would send the rest within this.
      await sleep(1000);
    } finally {
      await frames.close();
    }
    assert.equal(sender.child.exitCode, null, 'the sender waits for a reader');
    const received = await sky.run(['recv', 'sized', '--url', broker.url]);
    const sent = await sender.result;
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), `byte for byte (${received.stdout.length} of ${data.length} bytes)`);
  });
});
