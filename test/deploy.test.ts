// `skypipe deploy` against a real engine: podman serving its Docker-compatible API on a socket of
// this test's own. The image builds once, from the package's Dockerfile, on the assembled base image
// (see podman-images.ts); npm in the build reaches the registry with this machine's CA certificates.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingBroker } from './brokers.js';
import { freePort, Sky, until } from './harness.js';
import { assembleBaseImage, podman, podmanInstalled } from './podman-images.js';
import { sshdInstalled, startSshd } from './sshd.js';

const BASE_IMAGE = 'localhost/skypipe-test-node:20-deploy';
const ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];
const PASSWORD = 'deploy-test-password';
const DEPLOY_TIMEOUT_MS = 15 * 60_000;

describe('skypipe deploy', { timeout: 2 * DEPLOY_TIMEOUT_MS }, () => {
  if (!podmanInstalled()) {
    missingBroker('the deploy test', 'podman', 'podman is not installed');
    return;
  }
  const sky = new Sky();
  const socket = join(sky.dir, 'podman.sock');
  const engine = `unix://${socket}`;
  const name = `skypipe-deploy-test-${process.pid}`;
  const volume = `${name}-data`;
  let service: ChildProcess;
  let ports: { mqtts: number; wss: number };
  const env = { HOME: sky.dir, DOCKER_HOST: '', DOCKER_CONTEXT: '' };
  const deployArgs = (more: string[] = [], chosen: { name?: string; mqtts?: number; wss?: number } = {}) => [
    'deploy',
    engine,
    '--name',
    chosen.name ?? name,
    '--username',
    'edge',
    '--host',
    '127.0.0.1',
    '--mqtts-port',
    String(chosen.mqtts ?? ports.mqtts),
    '--wss-port',
    String(chosen.wss ?? ports.wss),
    '--build-arg',
    `NODE_IMAGE=${BASE_IMAGE}`,
    ...ULIMITS,
    ...more,
  ];
  const deploy = (...more: string[]) =>
    sky.run(deployArgs(['--password-stdin', ...more]), { input: `${PASSWORD}\n`, env });
  const pipe = (pin: string) => ['--url', `mqtts://127.0.0.1:${ports.mqtts}`, '--username', 'edge', '--pin', pin];
  const withPassword = { env: { SKYPIPE_PASSWORD: PASSWORD } };
  let invitation = '';
  const pinOf = (line: string) => line.match(/pin=(sha256:[0-9A-F:]+)'/)![1]!;

  before(async () => {
    ports = { mqtts: await freePort(), wss: await freePort() };
    service = spawn('podman', ['system', 'service', '--time=0', engine], { stdio: 'ignore' });
    await until(() => existsSync(socket), 'the podman service listens');
    assembleBaseImage(BASE_IMAGE);
  });
  after(async () => {
    podman(['rm', '-f', name]);
    podman(['rm', '-f', `${name}-previous`]);
    podman(['volume', 'rm', '-f', volume]);
    podman(['rmi', '-f', 'skypipe-broker:0.1.0']);
    service.kill();
    await sky.close();
  });

  it('prints the docker commands of a deploy with --dry-run and touches nothing', async () => {
    const result = await sky.run(deployArgs(['--dry-run']), { env });
    assert.equal(result.code, 0, result.stderr);
    const docker = `docker --host ${engine}`;
    const common = `${ULIMITS.join(' ')} --label org.skypipe.broker=1`;
    const run = `${docker} run --rm`;
    const image = 'skypipe-broker:0.1.0';
    assert.equal(
      result.stdout.toString().replace(/ \/\S+\n/, ' PACKAGE\n'),
      [
        `${docker} build ${ULIMITS.join(' ')} --build-arg NODE_IMAGE=${BASE_IMAGE} --label org.skypipe.broker=1 -t ${image} PACKAGE`,
        `${docker} volume create --label org.skypipe.broker=1 ${volume}`,
        `${run} ${common} -v ${volume}:/data ${image} cert --dir /data/tls --name 127.0.0.1`,
        `${run} -i ${common} -v ${volume}:/data ${image} user add edge < password`,
        `${docker} run -d --name ${name} --label org.skypipe.broker=1 --restart unless-stopped ${ULIMITS.join(' ')} -v ${volume}:/data -p ${ports.mqtts}:8883 -p ${ports.wss}:8443 -e SKYPIPE_BROKER_PORT=off -e SKYPIPE_BROKER_TLS_PORT=8883 -e SKYPIPE_BROKER_WSS_PORT=8443 -e SKYPIPE_BROKER_CERT=/data/tls/server.pem -e SKYPIPE_BROKER_KEY=/data/tls/server.key ${image}`,
        '',
      ].join('\n'),
    );
    assert.equal(result.stderr, '');
    assert.notEqual(podman(['volume', 'exists', volume]).code, 0, 'no volume made');
  });

  it('says in one line that the engine is unreachable', async () => {
    const missing = join(sky.dir, 'none.sock');
    const result = await sky.run(['deploy', `unix://${missing}`, '--password-stdin'], { input: 'x\n', env });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `skypipe: cannot reach the container engine at unix://${missing} (TARGET): connect ENOENT ${missing}\n`,
    );
  });

  it(
    'deploys a broker that pipes over TLS with the pin, and keeps its data and certificate across a deploy',
    {
      timeout: DEPLOY_TIMEOUT_MS,
    },
    async () => {
      const first = await deploy();
      assert.equal(first.code, 0, first.stderr);
      invitation = first.stdout.toString();
      assert.match(
        invitation,
        new RegExp(`^skypipe login 'mqtts://edge@127\\.0\\.0\\.1:${ports.mqtts}/\\?pin=sha256:[0-9A-F:]{95}'\\n$`),
      );
      const pin = pinOf(invitation);
      assert.equal(podman(['inspect', '--format', '{{.State.Health.Status}}', name]).stdout.trim(), 'healthy');
      assert.equal(
        podman(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', name]).stdout.trim(),
        'unless-stopped',
      );

      // The deploy saved the broker as this machine's default profile: no URL, pin or password to give.
      const sent = await sky.run(['send', 'x'], { input: 'hi\n' });
      assert.equal(sent.code, 0, sent.stderr);
      const received = await sky.run(['recv', 'x']);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(received.stdout.toString(), 'hi\n');

      const waiting = await sky.run(['send', 'kept', ...pipe(pin)], {
        input: 'buffered across a deploy\n',
        ...withPassword,
      });
      const listed = (await sky.run(['profiles'])).stdout.toString();
      assert.ok(
        listed.startsWith(`* ${name}  mqtts://edge@127.0.0.1:${ports.mqtts}  pin ${pin}  password in `),
        listed,
      );
      assert.equal(waiting.code, 0, waiting.stderr);
      // Deployed again, without a password given: the one this machine keeps in the profile.
      const second = await sky.run(deployArgs([]), { env });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout.toString(), invitation, 'the same certificate, so the same pin');
      const kept = await sky.run(['recv', 'kept']);
      assert.equal(kept.code, 0, kept.stderr);
      assert.equal(kept.stdout.toString(), 'buffered across a deploy\n');
    },
  );

  it(
    'refuses in one line a port another container publishes, and one a process holds',
    { timeout: DEPLOY_TIMEOUT_MS },
    async () => {
      const other = await sky.run(deployArgs(['--password-stdin'], { name: `${name}-other` }), { input: 'x\n', env });
      assert.equal(other.code, 1);
      assert.equal(
        other.stderr,
        `skypipe: port ${ports.mqtts} on 127.0.0.1 is taken by container ${name}; choose another with --mqtts-port\n`,
      );
      const holder = createServer();
      const held = await freePort();
      await new Promise<void>((listening) => holder.listen(held, '0.0.0.0', listening));
      try {
        const wss = await freePort();
        const args = deployArgs(['--password-stdin'], { name: `${name}-other`, mqtts: held, wss });
        const taken = await sky.run(args, { input: 'x\n', env });
        assert.equal(taken.code, 1);
        assert.match(
          taken.stderr,
          new RegExp(`\\nskypipe: port ${held} on 127\\.0\\.0\\.1 is taken; choose another with --mqtts-port\\n$`),
        );
        // The password was set on the new volume before the start failed: this machine kept it.
        const kept = await sky.run(['profiles', '--show-password', `${name}-other`]);
        assert.equal(kept.stdout.toString(), 'x\n', kept.stderr);

        // A redeploy onto the held port: the running broker is not lost.
        const moved = await sky.run(deployArgs([], { mqtts: held }), { env });
        assert.equal(moved.code, 1);
        assert.match(
          moved.stderr,
          new RegExp(
            `\\nskypipe: port ${held} on 127\\.0\\.0\\.1 is taken; choose another with --mqtts-port; the previous broker runs again\\n$`,
          ),
        );
        assert.equal(podman(['inspect', '--format', '{{.State.Running}}', name]).stdout.trim(), 'true');
        assert.equal(podman(['port', name, '8883/tcp']).stdout.trim(), `0.0.0.0:${ports.mqtts}`);
        assert.notEqual(podman(['container', 'exists', `${name}-previous`]).code, 0);
      } finally {
        holder.close();
        podman(['volume', 'rm', '-f', `${name}-other-data`]);
      }
    },
  );

  it('removes the broker with --remove, keeping its volume, and the volume too with --purge', async () => {
    const removed = await sky.run(deployArgs(['--remove']), { env });
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(
      removed.stderr,
      `skypipe: removed the broker '${name}' from ${engine}\nskypipe: volume ${volume} stays, with the data and credentials; --purge removes it\n`,
    );
    assert.notEqual(podman(['container', 'exists', name]).code, 0);
    assert.equal(podman(['volume', 'exists', volume]).code, 0);
    const purged = await sky.run(deployArgs(['--remove', '--purge']), { env });
    assert.equal(purged.code, 0, purged.stderr);
    assert.equal(purged.stderr, `skypipe: no broker '${name}' on ${engine}\nskypipe: removed volume ${volume}\n`);
    assert.notEqual(podman(['volume', 'exists', volume]).code, 0);
  });

  it(
    'deploys over ssh:// to a host whose key it knows, and refuses one it does not',
    { timeout: DEPLOY_TIMEOUT_MS },
    async (t) => {
      if (!sshdInstalled()) {
        assert.notEqual(process.env.CI, 'true', 'openssh-server is not installed');
        t.skip('openssh-server is not installed');
        return;
      }
      const sshd = await startSshd(sky.dir, socket, true);
      try {
        const over = `ssh://root@127.0.0.1:${sshd.port}`;
        const sshEnv = { ...env, HOME: sshd.home, SSH_AUTH_SOCK: '' };
        const args = deployArgs(['--password-stdin']).map((word) => (word === engine ? over : word));
        const deployed = await sky.run(args, { input: `${PASSWORD}\n`, env: sshEnv });
        assert.equal(deployed.code, 0, deployed.stderr);
        const pin = pinOf(deployed.stdout.toString());
        const sent = await sky.run(['send', 'x', ...pipe(pin)], { input: 'over ssh\n', ...withPassword });
        assert.equal(sent.code, 0, sent.stderr);
        const received = await sky.run(['recv', 'x']);
        assert.equal(received.stdout.toString(), 'over ssh\n');
        const purge = deployArgs(['--remove', '--purge']).map((word) => (word === engine ? over : word));
        const purged = await sky.run(purge, { env: sshEnv });
        assert.equal(purged.code, 0, purged.stderr);
        assert.notEqual(podman(['volume', 'exists', volume]).code, 0);

        const stranger = await sky.run(purge, { env: { ...sshEnv, HOME: sky.dir } });
        assert.equal(stranger.code, 1);
        assert.equal(
          stranger.stderr,
          `skypipe: the SSH host key of [127.0.0.1]:${sshd.port} is not in ${join(sky.dir, '.ssh', 'known_hosts')}; connect once with 'ssh -p ${sshd.port} 127.0.0.1' to check and record it\n`,
        );
      } finally {
        sshd.stop();
      }
    },
  );
});
