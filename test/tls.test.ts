// The broker's TLS and WebSocket listeners, its self-signed certificates, and how clients trust
// them: a pinned fingerprint or a CA file; every refusal in one line.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ForegroundBroker, freePort, Sky } from './harness.js';

const FINGERPRINT = /^sha256:(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/;

describe('TLS and WebSocket listeners', () => {
  const sky = new Sky();
  const certs = join(sky.dir, 'tls');
  let pin = '';
  let broker: ForegroundBroker;
  const urls = { mqtts: '', ws: '', wss: '' };

  before(async () => {
    const made = await sky.run(['broker', 'cert', '--dir', certs, '--name', 'localhost', '--name', '127.0.0.1']);
    assert.equal(made.code, 0, made.stderr);
    pin = made.stdout.toString().trim();
    const [tls, ws, wss] = [await freePort(), await freePort(), await freePort()];
    urls.mqtts = `mqtts://127.0.0.1:${tls}`;
    urls.ws = `ws://127.0.0.1:${ws}`;
    urls.wss = `wss://localhost:${wss}`;
    const args = [
      '--tls-port',
      String(tls),
      '--ws-port',
      String(ws),
      '--wss-port',
      String(wss),
      '--cert',
      join(certs, 'server.pem'),
      '--key',
      join(certs, 'server.key'),
    ];
    broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), args);
    await broker.start();
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await sky.close();
  });

  it('makes a CA and a server certificate, and prints the CA fingerprint alone on standard output', async () => {
    assert.match(pin, FINGERPRINT);
    const ca = new X509Certificate(readFileSync(join(certs, 'ca.pem')));
    assert.equal(pin, `sha256:${ca.fingerprint256}`);
    const server = new X509Certificate(readFileSync(join(certs, 'server.pem')));
    assert.ok(server.checkIssued(ca), 'the CA signed the server certificate');
    assert.equal(server.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    for (const key of ['ca.key', 'server.key']) assert.equal(statSync(join(certs, key)).mode & 0o777, 0o600, key);
    const again = await sky.run(['broker', 'cert', '--dir', certs]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout.length, 0);
    assert.equal(
      again.stderr,
      `skypipe: cannot make certificates: ${join(certs, 'ca.pem')} exists; remove it, or pass --force to replace the certificates there\n`,
    );
  });

  it('carries a stream from MQTT over TLS to secure WebSocket with a pinned certificate', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const sent = await sky.run(['send', 'pinned', '--url', urls.mqtts, '--pin', pin], { input: data });
    assert.equal(sent.code, 0, sent.stderr);
    const status = await sky.run(['status', 'pinned', '--url', urls.mqtts, '--pin', pin, '--json']);
    const { broker: shown, pipes } = JSON.parse(status.stdout.toString());
    assert.deepEqual([shown.url, shown.answers, shown.tls, shown.pinned], [urls.mqtts, true, true, true]);
    const { queued, ...records } = pipes[0];
    assert.deepEqual(records, { name: 'pinned', consumer: null, sending: 0, waiting: 1, waitingBytes: data.length });
    assert.equal(pipes.length, 1);
    // Our broker's own count: the stream's bytes, a 32-byte header a frame, and the end's hash.
    assert.equal(queued.bytes, data.length + 32 * queued.frames + 32);
    const received = await sky.run(['recv', 'pinned', '--url', urls.wss], { env: { SKYPIPE_PIN: pin } });
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), `byte for byte (${received.stdout.length} of ${data.length} bytes)`);
  });

  it('carries a stream from plain WebSocket to MQTT over TLS trusting the CA file', async () => {
    const sent = await sky.run(['send', 'by-ca', '--url', urls.ws], { input: 'through the CA\n' });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await sky.run(['recv', 'by-ca', '--url', urls.mqtts, '--ca', join(certs, 'ca.pem')]);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'through the CA\n');
  });

  it('refuses an untrusted certificate, a wrong pin and a protocol mismatch, each in one line', async () => {
    const otherPin = `sha256:${'AB:'.repeat(31)}AB`;
    const plainPort = broker.port;
    const cases: [string[], number, string][] = [
      [
        ['--url', urls.mqtts],
        1,
        `skypipe: cannot use broker ${urls.mqtts} (from --url): the broker's TLS certificate is not signed by a CA this machine trusts; pin it with --pin (the fingerprint 'skypipe broker cert' printed) or give its CA with --ca FILE\n`,
      ],
      [
        ['--url', urls.wss, '--pin', otherPin],
        1,
        `skypipe: cannot use broker ${urls.wss}/ (from --url): the broker's certificate does not match the pinned fingerprint (its CA is ${pin}); someone may be intercepting the connection, or the broker has a new certificate\n`,
      ],
      [
        ['--url', urls.mqtts.replace('mqtts', 'mqtt')],
        1,
        `skypipe: cannot use broker ${urls.mqtts.replace('mqtts', 'mqtt')} (from --url): that port speaks MQTT over TLS: use mqtts://\n`,
      ],
      [
        ['--url', `mqtts://127.0.0.1:${plainPort}`, '--pin', pin],
        1,
        `skypipe: cannot use broker mqtts://127.0.0.1:${plainPort} (from --url): that port speaks plain MQTT: use mqtt://\n`,
      ],
      [
        ['--url', urls.ws.replace('ws:', 'wss:'), '--pin', pin],
        1,
        `skypipe: cannot use broker ${urls.ws.replace('ws:', 'wss:')}/ (from --url): that port speaks HTTP (a WebSocket listener, or a web server): use ws://\n`,
      ],
      [
        ['--url', urls.wss.replace('wss:', 'ws:')],
        1,
        `skypipe: cannot use broker ${urls.wss.replace('wss:', 'ws:')}/ (from --url): that port speaks HTTP over TLS (a secure WebSocket listener, or a web server): use wss://\n`,
      ],
      [
        ['--url', broker.url, '--pin', pin],
        2,
        `skypipe: --pin is for brokers reached over TLS (mqtts:// or wss://), not ${broker.url}\n`,
      ],
      [
        ['--url', urls.mqtts, '--pin', 'sha256:12:34'],
        2,
        "skypipe: --pin: 'sha256:12:34' is not a SHA-256 fingerprint; give the sha256:… line that 'skypipe broker cert' printed\n",
      ],
    ];
    for (const [args, code, message] of cases) {
      const sent = await sky.run(['send', 'refused', ...args], { input: 'never\n' });
      assert.equal(sent.stderr, message, args.join(' '));
      assert.equal(sent.code, code, args.join(' '));
    }
    // Nothing got through on any of them.
    const received = sky.start(['recv', 'refused', '--url', broker.url]);
    const sent = await sky.run(['send', 'refused', '--url', broker.url], { input: 'only this\n' });
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal((await received.result).stdout.toString(), 'only this\n');
  });

  it('refuses to start a TLS listener without a certificate, or with every listener off', async () => {
    const noCert = await sky.run(['broker', '--port', 'off', '--wss-port', '0']);
    assert.equal(noCert.code, 2);
    assert.equal(
      noCert.stderr,
      "skypipe: --wss-port needs --cert and --key; 'skypipe broker cert' makes a self-signed pair\n",
    );
    const missing = await sky.run([
      'broker',
      '--tls-port',
      '0',
      '--cert',
      join(certs, 'nothing.pem'),
      '--key',
      join(certs, 'server.key'),
    ]);
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr, `skypipe: --cert: cannot read ${join(certs, 'nothing.pem')}: no such file\n`);
    const swapped = await sky.run([
      'broker',
      '--port',
      'off',
      '--tls-port',
      '0',
      '--cert',
      join(certs, 'server.key'),
      '--key',
      join(certs, 'server.pem'),
    ]);
    assert.equal(swapped.code, 1);
    assert.match(swapped.stderr, /^skypipe: the certificate \(--cert\) or key \(--key\) is not usable: [^\n]+\n$/);
    const none = await sky.run(['broker', '--port', 'off']);
    assert.equal(none.code, 2);
    assert.equal(
      none.stderr,
      'skypipe: every listener is off; give at least one of --port, --tls-port, --ws-port, --wss-port\n',
    );
  });
});
