// Which engine `skypipe deploy` uses, resolved as the docker CLI resolves it, and the host clients reach.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { architectureMismatch } from '../../src/cli/deploy/image.js';
import { resolveEngineTarget } from '../../src/cli/deploy/target.js';

describe('the deploy target', () => {
  const config = mkdtempSync(join(tmpdir(), 'skypipe-docker-config-'));
  const saved = { ...process.env };
  const context = (name: string, host: string) => {
    const dir = join(config, 'contexts', 'meta', createHash('sha256').update(name).digest('hex'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: host } } }));
  };
  beforeEach(() => {
    process.env = { ...saved, DOCKER_CONFIG: config };
    delete process.env.DOCKER_HOST;
    delete process.env.DOCKER_CONTEXT;
    rmSync(join(config, 'config.json'), { force: true });
  });
  after(() => {
    process.env = saved;
    rmSync(config, { recursive: true, force: true });
  });

  it('takes TARGET first, and the host from it', () => {
    process.env.DOCKER_HOST = 'tcp://elsewhere:2375';
    assert.deepEqual(resolveEngineTarget('ssh://me@box.example.net:2222', undefined, undefined), {
      url: 'ssh://me@box.example.net:2222',
      origin: 'TARGET',
      host: 'box.example.net',
    });
    assert.equal(resolveEngineTarget('unix:///run/podman/podman.sock', undefined, undefined).host, 'localhost');
    assert.equal(resolveEngineTarget('tcp://[::1]:2375', undefined, 'broker.example.net').host, 'broker.example.net');
  });

  it('then --context, DOCKER_HOST, the current context, and the local socket', () => {
    context('remote', 'ssh://ops@remote.example.net');
    assert.equal(resolveEngineTarget(undefined, 'remote', undefined).host, 'remote.example.net');
    process.env.DOCKER_HOST = 'tcp://from-env:2375';
    assert.equal(resolveEngineTarget(undefined, undefined, undefined).origin, 'DOCKER_HOST');
    delete process.env.DOCKER_HOST;
    writeFileSync(join(config, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    assert.equal(resolveEngineTarget(undefined, undefined, undefined).url, 'ssh://ops@remote.example.net');
    rmSync(join(config, 'config.json'));
    assert.equal(resolveEngineTarget(undefined, undefined, undefined).url, 'unix:///var/run/docker.sock');
  });

  it('says in one line what is wrong with a target', () => {
    assert.throws(() => resolveEngineTarget(undefined, 'nowhere', undefined), {
      message: "--context: no docker context 'nowhere'; 'docker context ls' lists them",
    });
    assert.throws(() => resolveEngineTarget('box.example.net', undefined, undefined), {
      message: "TARGET: 'box.example.net' is not an engine URL (ssh://USER@HOST, tcp://HOST:PORT, unix://PATH)",
    });
    assert.throws(() => resolveEngineTarget('ssh://a', 'b', undefined), {
      message: 'give a TARGET or --context, not both',
    });
  });

  it('takes a host name or an IP address for the host clients reach, and nothing else', () => {
    for (const host of ['broker.example.net', 'box-1', '192.0.2.7', '2001:db8::1', 'localhost'])
      assert.equal(resolveEngineTarget('ssh://me@box', undefined, host).host, host);
    for (const host of [
      "x'; rm -rf ~; '",
      'a b',
      '-leading.example',
      'under_score',
      '',
      'a..b',
      `${'a'.repeat(64)}.net`,
    ])
      assert.throws(() => resolveEngineTarget('ssh://me@box', undefined, host), {
        message: `--host: '${host}' is not a host name (letters, digits, '-', '.') or an IP address`,
        kind: 'usage',
      });
    assert.throws(() => resolveEngineTarget("ssh://me@bo'x", undefined, undefined), {
      message: "TARGET: 'bo'x' is not a host name (letters, digits, '-', '.') or an IP address",
    });
  });

  it("speaks TLS to a context's engine when the context keeps TLS files", () => {
    context('secure', 'tcp://secure.example.net:2376');
    context('plain', 'tcp://127.0.0.1:2375');
    const tls = join(config, 'contexts', 'tls', createHash('sha256').update('secure').digest('hex'), 'docker');
    mkdirSync(tls, { recursive: true });
    assert.equal(resolveEngineTarget(undefined, 'secure', undefined).tlsDir, tls);
    assert.equal(resolveEngineTarget(undefined, 'plain', undefined).tlsDir, undefined);
  });
});

describe('the image and the engine', () => {
  it('refuses an image built for another architecture than the engine runs, in one line', () => {
    assert.equal(
      architectureMismatch('arm64', 'amd64'),
      'the broker image is for arm64, but the engine runs amd64: give --build-arg NODE_IMAGE=IMAGE with a Node 20 image for amd64',
    );
    assert.equal(architectureMismatch('amd64', 'amd64'), null);
    assert.equal(architectureMismatch(undefined, 'amd64'), null, 'an engine that does not say');
  });
});
