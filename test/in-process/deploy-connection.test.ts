// How `skypipe deploy` connects to an engine: TLS where the URL or the context asks for it, plain
// HTTP only to loopback.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { connectionOptions } from '../../src/cli/deploy/connection.js';

describe('the engine connection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skypipe-engine-tls-'));
  const certs = join(dir, 'certs');
  const empty = join(dir, 'empty');
  mkdirSync(certs);
  mkdirSync(empty);
  for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, name), `${name} bytes`);
  const saved = { ...process.env };
  const target = (url: string, tlsDir?: string) => ({
    url,
    origin: 'TARGET',
    host: 'h',
    ...(tlsDir === undefined ? {} : { tlsDir }),
  });
  const files = {
    ca: Buffer.from('ca.pem bytes'),
    cert: Buffer.from('cert.pem bytes'),
    key: Buffer.from('key.pem bytes'),
  };
  beforeEach(() => {
    process.env = { ...saved, HOME: empty };
    delete process.env.DOCKER_TLS_VERIFY;
    delete process.env.DOCKER_CERT_PATH;
  });
  after(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks TLS to an https:// engine, with the files in DOCKER_CERT_PATH', () => {
    process.env.DOCKER_CERT_PATH = certs;
    assert.deepEqual(connectionOptions(target('https://engine.example.net')).options, {
      protocol: 'https',
      host: 'engine.example.net',
      port: 2376,
      ...files,
    });
  });

  it('speaks TLS to tcp:// with DOCKER_TLS_VERIFY, and to a context with TLS files', () => {
    process.env.DOCKER_TLS_VERIFY = '1';
    process.env.DOCKER_CERT_PATH = certs;
    assert.deepEqual(connectionOptions(target('tcp://[2001:db8::1]:2000')).options, {
      protocol: 'https',
      host: '2001:db8::1',
      port: 2000,
      ...files,
    });
    delete process.env.DOCKER_TLS_VERIFY;
    delete process.env.DOCKER_CERT_PATH;
    assert.deepEqual(connectionOptions(target('tcp://engine.example.net:2376', certs)).options, {
      protocol: 'https',
      host: 'engine.example.net',
      port: 2376,
      ...files,
    });
  });

  it('refuses TLS in one line when there are no certificate files', () => {
    process.env.DOCKER_CERT_PATH = empty;
    assert.throws(() => connectionOptions(target('https://engine.example.net:2376')), {
      message: `TLS to the engine at https://engine.example.net:2376 needs ca.pem, cert.pem and key.pem; ${empty} (DOCKER_CERT_PATH) has none`,
    });
    writeFileSync(join(empty, 'cert.pem'), 'x');
    try {
      assert.throws(() => connectionOptions(target('https://engine.example.net')), {
        message: `TLS to the engine at https://engine.example.net: ${empty} (DOCKER_CERT_PATH) has one of cert.pem and key.pem; give both`,
      });
    } finally {
      rmSync(join(empty, 'cert.pem'));
    }
  });

  it('speaks plain HTTP to loopback only', () => {
    assert.deepEqual(connectionOptions(target('tcp://127.0.0.1:2375')).options, {
      protocol: 'http',
      host: '127.0.0.1',
      port: 2375,
    });
    assert.deepEqual(connectionOptions(target('tcp://[::1]')).options, { protocol: 'http', host: '::1', port: 2375 });
    for (const url of ['tcp://engine.example.net:2375', 'http://192.0.2.7:2375'])
      assert.throws(() => connectionOptions(target(url)), {
        message: `${url} is plain HTTP: the password would cross the network in clear; use ssh://, or TLS (https://, or DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)`,
      });
  });
});
