// What the broker writes to a client in one turn leaves together: mqtt-packet writes a PUBLISH in
// pieces (header, topic, id, payload), which went out as six writes to a socket and as six
// WebSocket messages. In-process broker, a real subscriber on each kind of listener.
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { coalesce } from '../../src/broker/web-socket-stream.js';
import { until } from '../harness.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { field, packet } from './raw-mqtt.js';

const brokers = new BrokerDir();
let broker: TestBroker;

const CONNECT = packet(0x10, Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0]), field('')]));
const SUBSCRIBE = packet(0x82, Buffer.concat([Buffer.from([0, 1]), field('turn/t'), Buffer.from([0])]));
/** CONNACK and SUBACK: what a subscriber hears before any PUBLISH. */
const ANSWERS_BYTES = 4 + 5;

async function publishOnce(payload: Buffer): Promise<void> {
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  await publisher.publishAsync('turn/t', payload, { qos: 0 });
  await publisher.endAsync();
}

describe('writes per turn', { timeout: 30_000 }, () => {
  before(async () => {
    broker = await brokers.start(
      { listeners: (['mqtt', 'ws'] as const).map((kind) => ({ kind, host: '127.0.0.1', port: 0 })) },
      { anonymous: true },
    );
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('sends a PUBLISH to a socket in one write', async () => {
    const writes = { one: 0, several: 0 };
    const subscriber = new Socket();
    let heard = 0;
    subscriber.on('data', (chunk: Buffer) => (heard += chunk.length));
    await new Promise<void>((resolve) => subscriber.connect(broker.port, '127.0.0.1', resolve));
    subscriber.write(Buffer.concat([CONNECT, SUBSCRIBE]));
    await until(() => heard >= ANSWERS_BYTES, 'the CONNACK and SUBACK');
    const brokerSide = (socket: Socket) =>
      socket.localPort === broker.port && socket.remotePort === subscriber.localPort;
    const { _write: write, _writev: writev } = Socket.prototype as unknown as Record<
      string,
      (...args: unknown[]) => void
    >;
    const prototype = Socket.prototype as unknown as Record<string, (...args: unknown[]) => void>;
    prototype._write = function (this: Socket, ...args: unknown[]) {
      if (brokerSide(this)) writes.one += 1;
      return write!.apply(this, args);
    };
    prototype._writev = function (this: Socket, ...args: unknown[]) {
      if (brokerSide(this)) writes.several += 1;
      return writev!.apply(this, args);
    };
    try {
      await publishOnce(Buffer.from('one line\n'));
      await until(() => heard > ANSWERS_BYTES, 'the PUBLISH');
      assert.deepEqual(writes, { one: 0, several: 1 });
    } finally {
      prototype._write = write!;
      prototype._writev = writev!;
      subscriber.destroy();
    }
  });

  for (const [payloadBytes, messages] of [
    [9, 1],
    [64 * 1024, 2],
  ] as const) {
    it(`sends a PUBLISH of ${payloadBytes} bytes over WebSocket in ${messages} message(s)`, async () => {
      const url = broker.running.listeners.find((listener) => listener.kind === 'ws')!.url;
      const subscriber = new WebSocket(url, 'mqtt');
      const received: Buffer[] = [];
      subscriber.on('message', (data: Buffer) => received.push(data));
      await new Promise((resolve) => subscriber.once('open', resolve));
      subscriber.send(Buffer.concat([CONNECT, SUBSCRIBE]));
      const bytes = () => received.reduce((sum, message) => sum + message.length, 0);
      await until(() => bytes() >= ANSWERS_BYTES, 'the CONNACK and SUBACK');
      const before = received.length;
      await publishOnce(Buffer.alloc(payloadBytes, 7));
      await until(() => bytes() >= ANSWERS_BYTES + payloadBytes, 'the PUBLISH');
      assert.equal(received.length - before, messages);
      subscriber.close();
    });
  }

  it('joins each run of small pieces and leaves large ones as they are', () => {
    const large = Buffer.alloc(20_000, 1);
    const parts = coalesce([Buffer.from('a'), Buffer.from('bc'), large, Buffer.from('d')]);
    assert.deepEqual(
      parts.map((part) => part.length),
      [3, 20_000, 1],
    );
    assert.equal(parts[1], large, 'not copied');
    assert.equal(parts[0]!.toString(), 'abc');
  });
});
