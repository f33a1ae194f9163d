// The brokers the figures run on, each started once, when a figure first needs it: our durable
// broker (`skypipe broker` as a process), and stock Mosquitto and NATS as the tests start them.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForegroundBroker, Sky } from '../test/harness.js';
import { BROKER_MALLOC_ARENAS } from '../src/cli/local-sky.js';
import { ExternalBroker, installed, type ExternalKind } from '../test/external-brokers.js';
import { NotMeasured } from './figure.js';

/** Debian's package of each broker, for the reason a figure gives when one is missing. */
const PACKAGES: Record<ExternalKind, string> = {
  mosquitto: 'mosquitto',
  nats: 'nats-server',
  rabbitmq: 'rabbitmq-server',
};

export class Brokers {
  private readonly sky = new Sky();
  // Brokers drop root privileges to users of their own, who must reach their data directories.
  private readonly dir = mkdtempSync(join(tmpdir(), 'skypipe-bench-'));
  private ourBroker: Promise<ForegroundBroker> | null = null;
  private readonly external = new Map<ExternalKind, Promise<ExternalBroker>>();
  private readonly started: ExternalBroker[] = [];

  constructor() {
    chmodSync(this.dir, 0o755);
    // Stock brokers are not in the harness's process groups: they go when the bench goes, however it ends.
    process.once('exit', () => this.started.forEach((broker) => broker.stop('SIGKILL')));
  }

  /** Our broker with durable storage, shared by the figures that run through it. */
  ours(): Promise<ForegroundBroker> {
    this.ourBroker ??= (async () => {
      // As the local broker and the image run it.
      this.sky.env.MALLOC_ARENA_MAX = BROKER_MALLOC_ARENAS;
      const broker = new ForegroundBroker(this.sky, join(this.dir, 'skypipe'));
      await broker.start();
      return broker;
    })();
    return this.ourBroker;
  }

  /** A stock broker of `kind`; a NotMeasured error saying why when there is none. */
  stock(kind: ExternalKind): Promise<ExternalBroker> {
    let broker = this.external.get(kind);
    if (broker === undefined) {
      broker = this.startStock(kind);
      this.external.set(kind, broker);
    }
    return broker;
  }

  private async startStock(kind: ExternalKind): Promise<ExternalBroker> {
    const binary = installed(kind);
    if (binary === null)
      throw new NotMeasured(`${kind} is not installed (apt-get install ${PACKAGES[kind]}; see .ci/run)`);
    const broker = new ExternalBroker(kind, binary, join(this.dir, kind), { base: 'stock' });
    try {
      await broker.start();
    } catch (error) {
      throw new NotMeasured(`${kind} did not start: ${(error as Error).message}`);
    }
    this.started.push(broker);
    return broker;
  }

  async close(): Promise<void> {
    const ours = await this.ourBroker?.catch(() => null);
    if (ours?.running) await ours.kill('SIGTERM');
    await Promise.all(this.started.map((broker) => broker.kill('SIGTERM')));
    await this.sky.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
