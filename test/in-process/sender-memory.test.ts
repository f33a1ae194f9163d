// What a sender holds in memory: a full pipe's worth of frames and the frame being cut, not what
// it has read before, and no second copy of a frame in MQTT.js. Counted in bytes still reachable
// after a full GC, not in resident memory: that depends on the machine.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IPublishPacket } from 'mqtt';
import { DEFAULT_SEND_SETTINGS, parseBrokerUrl, send } from '../../src/client/index.js';
import { connect, disconnect, publish, randomClientId } from '../../src/client/transport/connection.js';
import { until } from '../harness.js';
import { startOurBroker } from './broker.js';
import { describeOn } from './pipes.js';
import { FAST_TIMINGS } from './timings.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describeOn('skypipe', FAST_TIMINGS, startOurBroker, (pipes) => {
  it('publishes a frame without MQTT.js copying it into its outgoing store', async () => {
    const { client } = await connect(parseBrokerUrl(pipes.url, 'the test'), {
      clientId: randomClientId('sender'),
      clean: true,
    });
    const stored: unknown[] = [];
    const store = client.outgoingStore;
    const put = store.put.bind(store);
    store.put = (packet, callback) => {
      stored.push((packet as IPublishPacket).payload);
      return put(packet, callback);
    };
    const frame = randomBytes(64 * 1024);
    await publish(client, `${pipes.root}/uncopied`, frame, { qos: 1 });
    assert.equal(stored.length, 1);
    assert.equal(stored[0], frame, 'the store holds a copy of the frame');
    await disconnect(client);
  });

  it('holds no more of its input than a frame while the pipe is full', async () => {
    const chunkBytes = 16 * 1024;
    const settings = { ...DEFAULT_SEND_SETTINGS, frameBytes: 64 * 1024, capacityBytes: 1024 * 1024 };
    const streamBytes = 8 * settings.capacityBytes;
    const read: WeakRef<ArrayBuffer>[] = [];
    const expected = createHash('sha256');
    const input = Readable.from(
      (function* () {
        for (let index = 0; index < streamBytes / chunkBytes; index += 1) {
          const chunk = Buffer.alloc(chunkBytes, index);
          expected.update(chunk);
          read.push(new WeakRef(chunk.buffer));
          yield chunk;
        }
      })(),
      { highWaterMark: 1 },
    );
    const controller = new AbortController();
    let unreadWhenBlocked: number | null = null;
    const sending = send({
      target: parseBrokerUrl(pipes.url, 'the test'),
      topics: pipes.topics('memory'),
      input,
      settings,
      events: { warn: () => {}, blocked: (blocked, unread) => void (blocked && (unreadWhenBlocked ??= unread)) },
      signal: controller.signal,
      timings: FAST_TIMINGS,
    });
    await until(() => unreadWhenBlocked !== null, 'the sender blocked on a full pipe');
    assert.ok(unreadWhenBlocked! <= settings.capacityBytes);
    await turn();
    gc();
    const held = read.filter((chunk) => chunk.deref() !== undefined).length * chunkBytes;
    // The frame being cut, and a chunk or two on their way through the input stream.
    assert.ok(held <= settings.frameBytes + 2 * chunkBytes, `${held} bytes of the input read still held`);

    const receiving = pipes.receive('memory');
    assert.equal(await sending, streamBytes);
    await receiving.result;
    assert.equal(createHash('sha256').update(receiving.output()).digest('hex'), expected.digest('hex'));
  });
});
