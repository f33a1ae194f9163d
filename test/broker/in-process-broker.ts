// Our broker in this process (real aedes, a real store on disk, a listener on a free loopback port),
// with users, for the tests of what it protects; short timings are passed in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type BrokerSettings, type RunningBroker } from '../../src/broker/server.js';
import { hashPassword, UserDirectory } from '../../src/broker/users.js';

export interface TestBroker {
  url: string;
  port: number;
  dataDir: string;
  running: RunningBroker;
  /** A stock MQTT.js client as `user`, whose password is "<user> secret". */
  connectAs(user: string, options?: mqtt.IClientOptions): Promise<mqtt.MqttClient>;
  close(): Promise<void>;
}

/** A private directory for one test file's brokers: their users file and data. */
export class BrokerDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'skypipe-broker-'));
  readonly dataDir = join(this.dir, 'data');
  readonly usersFile = join(this.dir, 'users');

  /** Writes the users file: each user's password is "<user> secret". */
  async writeUsers(users: string[]): Promise<void> {
    const lines = await Promise.all(users.map(async (user) => `${user}:${await hashPassword(`${user} secret`)}\n`));
    writeFileSync(this.usersFile, lines.join(''), { mode: 0o600 });
  }

  async start(
    overrides: Partial<BrokerSettings> = {},
    access: Partial<NonNullable<BrokerSettings['access']>> = {},
  ): Promise<TestBroker> {
    const running = await startBroker({
      listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0 }],
      tls: null,
      storage: { kind: 'disk', dataDir: this.dataDir },
      access: {
        users: new UserDirectory(this.usersFile, new Map()),
        anonymous: false,
        maxConnectionsPerUser: null,
        maxBytesPerUser: null,
        ...access,
      },
      limits: { maximumPacketSize: 1024 * 1024 },
      version: 'test',
      http: null,
      logLevel: 'silent',
      ...overrides,
    });
    const { url, port } = running.listeners[0]!;
    return {
      url,
      port,
      dataDir: this.dataDir,
      running,
      connectAs: (user, options = {}) =>
        mqtt.connectAsync(url, {
          protocolVersion: 4,
          username: user,
          password: `${user} secret`,
          reconnectPeriod: 0,
          ...options,
        }),
      close: () => running.close(),
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
