// Every connection, on the broker's side and the client's, turns Nagle's algorithm off: with it,
// each request/response exchange waits about 40 ms for the peer's delayed ACK. The sockets are
// watched through Node's own setNoDelay; in-process broker on every kind of listener, skypipe's
// own client connection code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificates } from '../../src/broker/certificates.js';
import { parseBrokerUrl } from '../../src/client/transport/broker-target.js';
import { connect, disconnect } from '../../src/client/transport/connection.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;
let ca = '';
/** Each socket told to set TCP_NODELAY, with the value it was told. */
const told: [Socket, boolean][] = [];
const setNoDelay = Socket.prototype.setNoDelay;

describe('TCP_NODELAY', { timeout: 30_000 }, () => {
  before(async () => {
    Socket.prototype.setNoDelay = function (this: Socket, noDelay = true) {
      told.push([this, noDelay]);
      return setNoDelay.call(this, noDelay);
    };
    const files = await generateCertificates(join(brokers.dir, 'certs'), ['localhost', '127.0.0.1'], false);
    ca = readFileSync(files.ca, 'utf8');
    broker = await brokers.start(
      {
        listeners: (['mqtt', 'mqtts', 'ws', 'wss'] as const).map((kind) => ({ kind, host: '127.0.0.1', port: 0 })),
        tls: { cert: readFileSync(files.server, 'utf8'), key: readFileSync(files.serverKey, 'utf8') },
      },
      { anonymous: true },
    );
  });
  after(async () => {
    Socket.prototype.setNoDelay = setNoDelay;
    await broker.close();
    brokers.remove();
  });

  it('is set on both ends of every kind of connection', async () => {
    for (const listener of broker.running.listeners) {
      const target = parseBrokerUrl(listener.url.replace('127.0.0.1', 'localhost'), 'the test');
      target.tls = { ca };
      const { client } = await connect(target, { clientId: `nodelay-${listener.kind}`, clean: true });
      const set = (end: 'localPort' | 'remotePort') =>
        told.some(([socket, noDelay]) => noDelay && socket[end] === listener.port);
      assert.equal(set('localPort'), true, `the broker's end of a ${listener.kind} connection`);
      assert.equal(set('remotePort'), true, `the client's end of a ${listener.kind} connection`);
      await disconnect(client);
    }
  });
});
