// Mosquitto, NATS and RabbitMQ as test processes on loopback ports of their own. The test runner
// starts one of each for the core suite; the fault suite starts private ones it can kill.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { freePort, Sky, sleep } from './harness.js';

export type ExternalKind = 'mosquitto' | 'nats' | 'rabbitmq';

interface Recipe {
  command: string;
  /** How long it may take to listen after a start (RabbitMQ boots an Erlang node). */
  startSeconds: number;
  /** `settings`: the broker's stock settings, or with what the README recommends for skypipe. */
  launch(binary: string, port: number, dir: string, settings: BrokerSettings): Promise<ChildProcess>;
}

/** Stock, or what the README recommends; either with `extra` lines for the configuration file. */
export interface BrokerSettings {
  base: 'stock' | 'recommended';
  extra?: string;
}

const RECIPES: Record<ExternalKind, Recipe> = {
  mosquitto: {
    command: 'mosquitto',
    startSeconds: 10,
    async launch(binary, port, dir, settings) {
      // A loopback listener and persistence. Mosquitto writes its store every autosave_interval
      // (30 min by default) and at exit: test instances save every second, so that a SIGKILL
      // loses no more than that. Stock, its queue keeps 1,000 messages per client and drops the rest.
      const config = join(owned(dir, 'mosquitto'), 'mosquitto.conf');
      const recommended = settings.base === 'recommended' ? 'max_queued_messages 0\n' : '';
      writeFileSync(
        config,
        `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\nautosave_interval 1\n${recommended}${settings.extra ?? ''}`,
      );
      chmodSync(config, 0o644);
      return spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    },
  },
  nats: {
    command: 'nats-server',
    startSeconds: 15,
    async launch(binary, port, dir, settings) {
      // JetStream on, its MQTT listener on loopback; nothing else to recommend.
      const config = join(owned(dir), 'nats.conf');
      writeFileSync(
        config,
        `listen: 127.0.0.1:-1\nserver_name: skypipe_test\njetstream { store_dir: "${dir}/js" }\nmqtt { listen: 127.0.0.1:${port} }\n${settings.extra ?? ''}`,
      );
      return spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    },
  },
  rabbitmq: {
    command: 'rabbitmq-server',
    startSeconds: 60,
    async launch(binary, port, dir, settings) {
      owned(dir, 'rabbitmq');
      // Stock, a session nobody uses for 24 h expires with what waits in it; the listener's
      // backlog of 128 made a thousand clients connecting within 3 s time out.
      const recommended =
        settings.base === 'recommended'
          ? 'mqtt.subscription_ttl = infinity\nmqtt.tcp_listen_options.backlog = 4096\n'
          : '';
      const [amqp, dist] = [await freePort(), await freePort()];
      writeFileSync(
        join(dir, 'rabbitmq.conf'),
        `listeners.tcp.default = 127.0.0.1:${amqp}\nmqtt.listeners.tcp.default = 127.0.0.1:${port}\nmqtt.allow_anonymous = true\nloopback_users = none\n${recommended}${settings.extra ?? ''}`,
      );
      writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');
      // Debian's script switches to the rabbitmq user through su, which resets the open-file limit
      // to 1,024: about 830 connections, and past them RabbitMQ's own processes fail. This file is
      // sourced after the switch.
      writeFileSync(join(dir, 'rabbitmq-env.conf'), settings.base === 'recommended' ? 'ulimit -n 16384\n' : '');
      for (const file of ['rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf']) chmodSync(join(dir, file), 0o644);
      const env = {
        ...process.env,
        RABBITMQ_NODENAME: rabbitNodeName(port),
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_DIST_PORT: String(dist),
        ERL_EPMD_ADDRESS: '127.0.0.1',
      };
      return spawn(binary, [], { env, stdio: ['ignore', 'ignore', 'ignore'], detached: true });
    },
  },
};

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Processes whose environment holds `entry` (NAME=value); the node's name is not on its command line. */
function processesWithEnvironment(entry: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry)) found.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

function rabbitNodeName(port: number): string {
  return `skypipe${port}@localhost`;
}

export const EXTERNAL_KINDS = Object.keys(RECIPES) as ExternalKind[];

/** The installed binary of a broker, or null. */
export function installed(kind: ExternalKind): string | null {
  const path = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')];
  for (const dir of path) if (existsSync(join(dir, RECIPES[kind].command))) return join(dir, RECIPES[kind].command);
  return null;
}

/** A directory a broker that drops root privileges to `user` can write. */
function owned(dir: string, user?: string): string {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  if (userInfo().uid === 0 && user) {
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (uid.status === 0) chownSync(dir, Number(uid.stdout), Number(gid.stdout));
  }
  return dir;
}

async function answers(port: number, seconds: number): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(250);
  }
  return false;
}

/** One broker process in a data directory of its own; it keeps its port and data across restarts. */
export class ExternalBroker {
  private child: ChildProcess | null = null;
  port = 0;

  constructor(
    readonly kind: ExternalKind,
    private readonly binary: string,
    private readonly dir: string,
    private readonly settings: BrokerSettings,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts the broker and waits until it listens; throws with the reason when it does not. */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const recipe = RECIPES[this.kind];
    const child = await recipe.launch(this.binary, this.port, this.dir, this.settings);
    this.child = child;
    if (!(await answers(this.port, recipe.startSeconds))) {
      this.stop('SIGKILL');
      throw new Error(`${this.kind} did not listen on 127.0.0.1:${this.port} within ${recipe.startSeconds} s`);
    }
  }

  /**
   * Sends `signal` to the broker's whole process group. RabbitMQ's Erlang node runs outside it
   * (Debian's script starts it through su), so it is signalled by its node name too.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM'): void {
    const child = this.child;
    this.child = null;
    if (child?.pid === undefined) return;
    signalQuietly(-child.pid, signal);
    if (this.kind === 'rabbitmq')
      for (const pid of processesWithEnvironment(`RABBITMQ_NODENAME=${rabbitNodeName(this.port)}`))
        signalQuietly(pid, signal);
  }

  /** Kills the broker and waits until its port is free, so a restart can take it. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.stop(signal);
    if (child !== null && child.exitCode === null && child.signalCode === null)
      await new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while ((await answers(this.port, 0.1)) && Date.now() < deadline) await sleep(100);
  }
}

/** For a describe block: a private broker of `kind` (its own process and data; the settings the README recommends unless told), and a sky. */
export function skyWithExternalBroker(
  kind: ExternalKind,
  binary: string,
  settings: BrokerSettings = { base: 'recommended' },
): { sky: Sky; broker: ExternalBroker } {
  const sky = new Sky();
  // Brokers drop root privileges to users of their own, who must reach the directory.
  const dir = mkdtempSync(join(tmpdir(), `skypipe-${kind}-`));
  chmodSync(dir, 0o755);
  const broker = new ExternalBroker(kind, binary, join(dir, 'data'), settings);
  before(() => broker.start());
  after(async () => {
    await broker.kill('SIGTERM');
    await sky.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sky, broker };
}
