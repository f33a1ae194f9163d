// What the TLS listeners negotiate: TLS 1.2 or 1.3, with ECDHE and an AEAD cipher only. A client
// that offers nothing else is refused at the handshake. In-process broker, Node's TLS client.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { generateCertificates } from '../../src/broker/certificates.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;
let tlsPort = 0;
let wssPort = 0;
let ca = '';

/** The protocol and cipher a handshake settles on, or the error that refused it. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options });
    socket.once('secureConnect', () => {
      resolve(`${socket.getProtocol()} ${socket.getCipher().standardName}`);
      socket.destroy();
    });
    socket.once('error', () => resolve('refused'));
  });
}

describe('TLS listeners', { timeout: 30_000 }, () => {
  before(async () => {
    const files = await generateCertificates(join(brokers.dir, 'certs'), ['localhost', '127.0.0.1'], false);
    ca = readFileSync(files.ca, 'utf8');
    broker = await brokers.start({
      listeners: [
        { kind: 'mqtt', host: '127.0.0.1', port: 0 },
        { kind: 'mqtts', host: '127.0.0.1', port: 0 },
        { kind: 'wss', host: '127.0.0.1', port: 0 },
      ],
      tls: { cert: readFileSync(files.server, 'utf8'), key: readFileSync(files.serverKey, 'utf8') },
    });
    tlsPort = broker.running.listeners[1]!.port;
    wssPort = broker.running.listeners[2]!.port;
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  for (const [listener, port] of [
    ['MQTT over TLS', () => tlsPort],
    ['secure WebSocket', () => wssPort],
  ] as const) {
    it(`${listener}: refuses CBC with SHA-1, CCM8, ARIA and TLS 1.1; takes ECDHE with AEAD`, async () => {
      const tls12 = { maxVersion: 'TLSv1.2' } as const;
      assert.equal(await handshake(port(), { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' }), 'refused');
      assert.equal(await handshake(port(), { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-CCM8' }), 'refused');
      assert.equal(await handshake(port(), { ...tls12, ciphers: 'ECDHE-ECDSA-ARIA128-GCM-SHA256' }), 'refused');
      assert.equal(await handshake(port(), { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }), 'refused');
      assert.equal(
        await handshake(port(), { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
        'TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      );
      assert.equal(await handshake(port(), {}), 'TLSv1.3 TLS_AES_128_GCM_SHA256');
    });
  }
});
