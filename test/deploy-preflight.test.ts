// What `skypipe deploy` refuses before it sends anything to an engine, and what it never sends in
// clear: real skypipe processes, no engine needed.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Sky } from './harness.js';

describe('skypipe deploy, before the engine', () => {
  const sky = new Sky();
  const env = { DOCKER_HOST: '', DOCKER_CONTEXT: '', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '' };
  /** A plain HTTP server on loopback: it answers every connection, and keeps the first bytes of each. */
  let plain: Server;
  let port: number;
  const firstBytes: Buffer[] = [];
  before(async () => {
    plain = createServer((socket) => {
      socket.once('data', (data: Buffer) => {
        firstBytes.push(data);
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((listening) => plain.listen(0, '127.0.0.1', listening));
    port = (plain.address() as { port: number }).port;
  });
  after(async () => {
    plain.close();
    await sky.close();
  });

  it('speaks only TLS to an https:// engine, and says in one line that it does not answer in TLS', async () => {
    const certs = join(sky.dir, 'engine-certs');
    const made = await sky.run(['broker', 'cert', '--dir', certs, '--name', '127.0.0.1']);
    assert.equal(made.code, 0, made.stderr);
    const url = `https://127.0.0.1:${port}`;
    const result = await sky.run(['deploy', url, '--password-stdin'], {
      input: 'secret-password\n',
      env: { ...env, DOCKER_CERT_PATH: certs },
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(`^skypipe: cannot reach the container engine at ${url} \\(TARGET\\): [^\\n]+\\n$`),
    );
    assert.equal(firstBytes.length, 1, 'one connection');
    assert.equal(firstBytes[0]![0], 0x16, 'a TLS handshake record, not HTTP');
    assert.ok(!firstBytes[0]!.includes('HTTP/1.1'));
  });

  it('refuses TLS without certificate files, and plain HTTP off loopback, sending nothing', async () => {
    const before = firstBytes.length;
    const none = join(sky.dir, 'no-certs');
    mkdirSync(none);
    const url = `https://127.0.0.1:${port}`;
    const untrusted = await sky.run(['deploy', url], { env: { ...env, DOCKER_CERT_PATH: none } });
    assert.equal(untrusted.code, 1);
    assert.equal(
      untrusted.stderr,
      `skypipe: TLS to the engine at ${url} needs ca.pem, cert.pem and key.pem; ${none} (DOCKER_CERT_PATH) has none\n`,
    );
    const remote = await sky.run(['deploy', 'tcp://192.0.2.7:2375'], { env });
    assert.equal(remote.code, 1);
    assert.equal(
      remote.stderr,
      'skypipe: tcp://192.0.2.7:2375 is plain HTTP: the password would cross the network in clear; use ssh://, or TLS (https://, or DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)\n',
    );
    assert.equal(firstBytes.length, before);
  });

  it('prints docker commands that speak TLS for an https:// engine with --dry-run', async () => {
    const result = await sky.run(['deploy', 'https://127.0.0.1:2376', '--dry-run'], { env });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.toString().split('\n');
    assert.equal(lines.length, 6);
    for (const line of lines.slice(0, 5))
      assert.ok(line.startsWith('docker --tlsverify --host tcp://127.0.0.1:2376 '), line);
  });

  it('refuses a --host that is not a host name or an address', async () => {
    const result = await sky.run(['deploy', `tcp://127.0.0.1:${port}`, '--host', "box'; touch x; '"], { env });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "skypipe: --host: 'box'; touch x; '' is not a host name (letters, digits, '-', '.') or an IP address\n",
    );
  });

  it("refuses to replace the profile of another host's broker, and its password", async () => {
    const config = join(sky.dir, 'config', 'skypipe');
    mkdirSync(config, { recursive: true });
    const profile = { name: 'skypipe', url: 'mqtts://elsewhere.example.net:8883', username: 'me', secret: 'none' };
    writeFileSync(join(config, 'profiles.json'), JSON.stringify({ default: 'skypipe', profiles: [profile] }));
    const before = firstBytes.length;
    const result = await sky.run(['deploy', `tcp://127.0.0.1:${port}`, '--password-stdin'], {
      input: 'secret-password\n',
      env,
    });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "skypipe: the profile 'skypipe' is for mqtts://me@elsewhere.example.net:8883; give --name to keep both, or 'skypipe logout skypipe' first\n",
    );
    assert.equal(firstBytes.length, before, 'refused before the engine');
  });
});
