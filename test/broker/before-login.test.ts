// What a stranger can make the broker hold before it accepts a connection: a CONNECT that declares
// megabytes is cut at its header, connections waiting to be accepted are bounded in all and per
// address, and one that is not accepted in time is closed. Raw sockets, in-process broker.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { BrokerDir, type TestBroker } from './in-process-broker.js';
import { until } from '../harness.js';
import { connectHeader } from './raw-mqtt.js';

const brokers = new BrokerDir();
let broker: TestBroker;

/** A raw TCP connection to the broker, with what the broker does to it. */
function rawClient(): { socket: Socket; closed: Promise<void>; received: () => number } {
  const socket = connect(broker.port, '127.0.0.1');
  let received = 0;
  socket.on('data', (chunk) => (received += chunk.length));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
}

describe('before a connection is accepted', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start({ loginTimeoutMs: 60_000 });
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('closes a connection whose CONNECT declares most of the packet size limit, at its header', async () => {
    const declared = rawClient();
    // Under the 1 MiB limit on packets, far over what a CONNECT needs.
    declared.socket.write(connectHeader(1_000_000));
    await declared.closed;
    assert.equal(declared.received(), 0);
  });

  it('keeps at most 256 connections from one address waiting, and closes the others at once', async () => {
    const waiting = Array.from({ length: 264 }, () => rawClient());
    let closed = 0;
    for (const client of waiting) void client.closed.then(() => (closed += 1));
    await until(() => closed >= 8, 'the connections over the limit to be closed');
    assert.equal(closed, 8);
    assert.equal(waiting.filter(({ socket }) => !socket.destroyed).length, 256);
    // Once they go (the broker hears of it a moment later), a client gets in again.
    for (const { socket } of waiting) socket.destroy();
    await until(async () => {
      const alice = mqtt.connect(broker.url, { username: 'alice', password: 'alice secret', reconnectPeriod: 0 });
      const accepted = await new Promise<boolean>((resolve) => {
        alice.once('connect', () => resolve(true));
        alice.once('close', () => resolve(false));
      });
      alice.end(true);
      return accepted;
    }, 'alice to be accepted');
  });

  it('closes a connection that is not accepted within the login timeout', async () => {
    const quick = new BrokerDir();
    const impatient = await quick.start({ loginTimeoutMs: 200 });
    try {
      const silent = connect(impatient.port, '127.0.0.1');
      silent.on('error', () => {});
      await new Promise<void>((resolve) => silent.once('close', () => resolve()));
    } finally {
      await impatient.close();
      quick.remove();
    }
  });
});
