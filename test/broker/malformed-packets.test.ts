// Packets MQTT calls malformed close the connection before the broker acts on them: a topic that is
// not valid UTF-8 (in a PUBLISH or a SUBSCRIBE) and a QoS 1 PUBLISH with packet identifier 0. Raw
// packets after a proper login; in-process broker.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { connectPacket, field, packet } from './raw-mqtt.js';

const brokers = new BrokerDir();
let broker: TestBroker;

const CONNECT = connectPacket('alice-raw', 'alice', 'alice secret');

/** Logs in as alice, sends `then`, and tells what came back after the CONNACK and whether the broker closed. */
function afterLogin(then: Buffer): Promise<{ answered: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = connect(broker.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let sent = false;
    const finish = (closed: boolean) => {
      socket.destroy();
      resolve({ answered: [...received.subarray(4)], closed });
    };
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (!sent && received.length >= 4) {
        assert.equal(received[3], 0, 'logged in');
        sent = true;
        socket.write(then);
        // A PINGREQ after it: its PINGRESP (0xd0 0x00) shows the packet was read and let pass.
        socket.write(Buffer.from([0xc0, 0x00]));
      }
      if (received.includes(0xd0, 4)) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.write(CONNECT);
  });
}

// Inside alice's namespace, so that only the bytes are wrong: "u/alice/" and two bytes no UTF-8 has.
const INVALID_UTF8 = Buffer.concat([Buffer.from('u/alice/'), Buffer.from([0xff, 0xfe])]);

describe('malformed packets', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('closes the connection on a PUBLISH whose topic is not valid UTF-8', async () => {
    const publish = packet(0x30, Buffer.concat([field(INVALID_UTF8), Buffer.from('x')]));
    assert.deepEqual(await afterLogin(publish), { answered: [], closed: true });
  });

  it('closes the connection on a QoS 1 PUBLISH with packet identifier 0, and acknowledges one with 1', async () => {
    const topic = field(Buffer.from('u/alice/t'));
    const withId = (id: number) => packet(0x32, Buffer.concat([topic, Buffer.from([0, id]), Buffer.from('x')]));
    assert.deepEqual(await afterLogin(withId(0)), { answered: [], closed: true });
    assert.deepEqual(await afterLogin(withId(1)), { answered: [0x40, 0x02, 0x00, 0x01, 0xd0, 0x00], closed: false });
  });

  it('closes the connection on a SUBSCRIBE whose filter is not valid UTF-8', async () => {
    const subscribe = packet(0x82, Buffer.concat([Buffer.from([0, 1]), field(INVALID_UTF8), Buffer.from([1])]));
    assert.deepEqual(await afterLogin(subscribe), { answered: [], closed: true });
  });
});
