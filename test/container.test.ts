// The broker's container image, built from the Dockerfile with podman and run: its command is the
// one the test suite runs, it runs as a non-root user with its data on a volume, and a pipe works
// through it across a restart. No registry is reachable here, so the base image is assembled from
// this machine's Node (the binary, the libraries ldd lists, npm) and given as the NODE_IMAGE build
// argument; npm installs from this machine's cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingBroker } from './brokers.js';
import { freePort, SKYPIPE, Sky, sleep } from './harness.js';
import { assembleBaseImage, LIMITS, must, podman, podmanInstalled } from './podman-images.js';

const REPOSITORY = resolve(dirname(SKYPIPE), '..');
const BASE_IMAGE = 'localhost/skypipe-test-node:20';
const IMAGE = `localhost/skypipe-broker:test-${process.pid}`;

const installed = podmanInstalled();

describe('the container image', () => {
  if (!installed) {
    missingBroker('the container test', 'podman', 'podman is not installed');
    return;
  }
  const sky = new Sky();
  const volume = `skypipe-test-data-${process.pid}`;
  const container = `skypipe-test-broker-${process.pid}`;

  before(() => {
    assembleBaseImage(BASE_IMAGE);
    const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
    must([
      'build',
      '--format',
      'docker',
      ...LIMITS,
      '--build-arg',
      `NODE_IMAGE=${BASE_IMAGE}`,
      '--build-arg',
      'NPM_CI_FLAGS=--offline --cache /npm-cache',
      '-v',
      `${cache}:/npm-cache`,
      '-t',
      IMAGE,
      REPOSITORY,
    ]);
  });
  after(async () => {
    podman(['rm', '-f', container]);
    podman(['volume', 'rm', '-f', volume]);
    podman(['rmi', '-f', IMAGE]);
    podman(['image', 'prune', '-f']); // the build stage
    await sky.close();
  });

  it('runs exactly the command the test suite runs, as a non-root user, with its data on a volume', () => {
    const config = JSON.parse(must(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])) as {
      Entrypoint: string[];
      User: string;
      Volumes: Record<string, object>;
      ExposedPorts: Record<string, object>;
    };
    const healthcheck = JSON.parse(must(['image', 'inspect', '--format', '{{json .Config.Healthcheck}}', IMAGE])) as {
      Test: string[];
    } | null;
    // The suite runs `node dist/skypipe.mjs broker ...` from the checkout; the image, the same file under /app.
    assert.deepEqual(config.Entrypoint, ['node', `/app/${relative(REPOSITORY, SKYPIPE)}`, 'broker']);
    assert.equal(config.User, '10001:10001');
    assert.deepEqual(Object.keys(config.Volumes), ['/data']);
    assert.deepEqual(Object.keys(config.ExposedPorts).sort(), [
      '1883/tcp',
      '8080/tcp',
      '8083/tcp',
      '8443/tcp',
      '8883/tcp',
    ]);
    assert.deepEqual(healthcheck?.Test.slice(0, 3), ['CMD', 'node', '-e']);
  });

  it('serves a pipe to its user and to skypipe inside it, keeps what waits across a restart, stops on SIGTERM', async () => {
    const [port, http] = [await freePort(), await freePort()];
    const start = () =>
      must([
        'run',
        '-d',
        '--name',
        container,
        '--network',
        'host',
        ...LIMITS,
        '-v',
        `${volume}:/data`,
        '-e',
        `SKYPIPE_BROKER_PORT=${port}`,
        '-e',
        `SKYPIPE_BROKER_HTTP_PORT=${http}`,
        '-e',
        'SKYPIPE_BROKER_USER=edge',
        '-e',
        'SKYPIPE_BROKER_PASSWORD=edge-password',
        IMAGE,
      ]);
    const url = `mqtt://edge:edge-password@127.0.0.1:${port}`;
    const listening = async () => {
      const deadline = Date.now() + 20_000;
      while (!podman(['logs', container]).stderr.includes('listening') && Date.now() < deadline) await sleep(100);
    };
    start();
    await listening();
    assert.equal(podman(['healthcheck', 'run', container]).code, 0, 'the HEALTHCHECK passes');
    const sent = await sky.run(['send', 'through-the-image', '--url', url], { input: 'kept across a restart\n' });
    assert.equal(sent.code, 0, sent.stderr);
    must(['stop', '-t', '15', container]);
    assert.equal(must(['inspect', '--format', '{{.State.ExitCode}}', container]), '0');
    assert.match(podman(['logs', container]).stderr, /skypipe: broker stopped \(SIGTERM\)\n$/);
    must(['rm', container]);
    start();
    await listening();
    const received = await sky.run(['recv', 'through-the-image', '--url', url]);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'kept across a restart\n');
    // Inside the container, skypipe means the container's broker, as its user.
    const inside = podman(['exec', '-i', container, 'skypipe', 'send', 'from-inside'], Buffer.from('inside\n'));
    assert.deepEqual([inside.code, inside.stderr], [0, '']);
    const fromInside = await sky.run(['recv', 'from-inside', '--url', url]);
    assert.equal(fromInside.stdout.toString(), 'inside\n');
    assert.match(
      must(['exec', container, 'skypipe', 'broker', 'status']),
      /^this machine's broker: running, pid 1, at mqtt:\/\/127\.0\.0\.1:\d+ for skypipe commands here, as edge\ndata: \/data\/broker\ncommands use this machine's broker/,
    );
    const anonymous = await sky.run(['send', 'x', '--url', `mqtt://127.0.0.1:${port}`], { input: 'no\n' });
    assert.equal(anonymous.code, 1, 'the image lets no one in without credentials');
  });
});
