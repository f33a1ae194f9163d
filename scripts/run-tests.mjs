// npm test: runs the test files with node's test runner, after starting the other brokers the
// core suite runs on (Mosquitto, NATS, RabbitMQ) on loopback ports of their own, when installed.
// Under CI a broker that is missing or does not start fails the run.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const ci = process.env.CI === 'true';
const work = mkdtempSync(join(tmpdir(), 'skypipe-brokers-'));
chmodSync(work, 0o755);
const started = [];

function which(command) {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')]) {
    if (existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function answers(port, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** A directory a broker that drops root privileges to `user` can write. */
function ownedDir(name, user) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  if (userInfo().uid === 0 && user) {
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (id.status === 0) chownSync(dir, Number(id.stdout), Number(gid.stdout));
  }
  return dir;
}

const BROKERS = [
  {
    name: 'mosquitto',
    variable: 'SKYPIPE_TEST_MOSQUITTO_URL',
    command: 'mosquitto',
    startSeconds: 10,
    start(binary, port) {
      // Stock settings plus a loopback listener and persistence; the default queue of 1,000 stays.
      const dir = ownedDir('mosquitto', 'mosquitto');
      const config = join(dir, 'mosquitto.conf');
      writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n`);
      chmodSync(config, 0o644);
      return spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
    },
  },
  {
    name: 'nats',
    variable: 'SKYPIPE_TEST_NATS_URL',
    command: 'nats-server',
    startSeconds: 15,
    start(binary, port) {
      const dir = ownedDir('nats');
      const config = join(dir, 'nats.conf');
      writeFileSync(config, `listen: 127.0.0.1:-1\nserver_name: skypipe_test\njetstream { store_dir: "${dir}/js" }\nmqtt { listen: 127.0.0.1:${port} }\n`);
      return spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    },
  },
  {
    name: 'rabbitmq',
    variable: 'SKYPIPE_TEST_RABBITMQ_URL',
    command: 'rabbitmq-server',
    startSeconds: 60,
    async start(binary, port) {
      const dir = ownedDir('rabbitmq', 'rabbitmq');
      const [amqp, dist] = [await freePort(), await freePort()];
      writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.default = 127.0.0.1:${amqp}\nmqtt.listeners.tcp.default = 127.0.0.1:${port}\nmqtt.allow_anonymous = true\nloopback_users = none\n`);
      writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
      for (const file of ['rabbitmq.conf', 'enabled_plugins']) chmodSync(join(dir, file), 0o644);
      const env = {
        ...process.env,
        RABBITMQ_NODENAME: `skypipe${port}@localhost`,
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_DIST_PORT: String(dist),
        ERL_EPMD_ADDRESS: '127.0.0.1',
      };
      return spawn(binary, [], { env, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    },
  },
];

async function startBrokers() {
  const problems = [];
  for (const broker of BROKERS) {
    const binary = which(broker.command);
    if (binary === null) {
      problems.push(`${broker.name}: ${broker.command} is not installed`);
      continue;
    }
    const port = await freePort();
    const child = await broker.start(binary, port);
    started.push(child);
    if (await answers(port, broker.startSeconds)) {
      process.env[broker.variable] = `mqtt://127.0.0.1:${port}`;
      console.log(`# ${broker.name} listens on 127.0.0.1:${port}`);
    } else {
      problems.push(`${broker.name}: did not listen within ${broker.startSeconds} s`);
    }
  }
  return problems;
}

function stopBrokers() {
  for (const child of started) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

const problems = await startBrokers();
for (const problem of problems) console.error(`WARNING: ${problem}`);
if (ci && problems.length > 0) {
  stopBrokers();
  console.error('CI runs the core suite on every broker; install them (see .ci/run)');
  process.exit(1);
}
// Extra arguments go to node's test runner (a name pattern, some of the files); by default every file.
const extra = process.argv.slice(2);
const files = extra.some((arg) => arg.endsWith('.js'))
  ? []
  : readdirSync('build/test').filter((file) => file.endsWith('.test.js')).map((file) => join('build/test', file));
const run = spawn(process.execPath, ['--test', '--test-concurrency=1', ...extra, ...files], { stdio: 'inherit' });
const code = await new Promise((resolve) => run.on('close', (status) => resolve(status ?? 1)));
stopBrokers();
await new Promise((resolve) => setTimeout(resolve, 1000));
rmSync(work, { recursive: true, force: true });
process.exit(code);
