// A broker run with --local-clients (the image's default) serves the skypipe commands of its own
// machine: with no URL and no password they use it, as its user, through a loopback listener and a
// key in the local broker's record, instead of starting a local broker of their own.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { topicRoot } from '../src/protocol/topics.js';
import { consumerAttached, ForegroundBroker, Sky, until } from './harness.js';

interface Record {
  port: number;
  served: { key: string | null; user: string | null };
}

function served(sky: Sky, options: { users: string[]; env?: NodeJS.ProcessEnv }): Promise<ForegroundBroker> {
  return (async () => {
    const users = join(sky.dir, `users-${options.users.join('-')}`);
    for (const user of options.users) {
      const added = await sky.run(['broker', 'user', 'add', user, '--users', users], { input: `${user}-password\n` });
      assert.equal(added.code, 0, added.stderr.toString());
    }
    const broker = new ForegroundBroker(sky, join(sky.dir, 'served-data'), ['--users', users, '--local-clients']);
    const previous = { ...sky.env };
    Object.assign(sky.env, options.env ?? {});
    try {
      await broker.start();
    } finally {
      for (const key of Object.keys(options.env ?? {})) delete sky.env[key];
      Object.assign(sky.env, previous);
    }
    return broker;
  })();
}

const recordPath = (sky: Sky) => join(sky.dir, 'state', 'skypipe', 'local-broker.json');
const readRecord = (sky: Sky) => JSON.parse(readFileSync(recordPath(sky), 'utf8')) as Record;

describe('a broker serving local clients', () => {
  const sky = new Sky();
  after(() => sky.close());

  it("lets this machine's commands pipe through it as its user, with no URL or password", async () => {
    const broker = await served(sky, { users: ['edge'] });
    try {
      const record = readRecord(sky);
      assert.equal(statSync(recordPath(sky)).mode & 0o777, 0o600);
      assert.equal(record.served.user, 'edge');
      assert.match(record.served.key ?? '', /^[A-Za-z0-9_-]{43}$/);

      const remote = `mqtt://edge:edge-password@127.0.0.1:${broker.port}`;
      const receiver = sky.start(['recv', 'inside', '--url', remote]);
      await consumerAttached(remote, 'inside', topicRoot(undefined, 'edge')!);
      const sent = await sky.run(['send', 'inside'], { input: 'from inside\n' });
      assert.equal(sent.code, 0, sent.stderr.toString());
      assert.equal(sent.stderr.toString(), '');
      assert.equal((await receiver.result).stdout.toString(), 'from inside\n');
      assert.equal(existsSync(join(sky.dir, 'state', 'skypipe', 'local-broker-data')), false, 'no local broker');

      const status = await sky.run(['broker', 'status']);
      assert.equal(
        status.stdout.toString(),
        `this machine's broker: running, pid ${broker.running!.child.pid}, at mqtt://127.0.0.1:${record.port} for skypipe commands here, as edge\n` +
          `data: ${join(sky.dir, 'served-data')}\n` +
          "commands use this machine's broker (set SKYPIPE_URL or --url to use another)\n",
      );
      const stop = await sky.run(['broker', 'stop']);
      assert.equal(stop.code, 1);
      assert.equal(
        stop.stderr.toString(),
        `skypipe: this machine's broker (pid ${broker.running!.child.pid}) was started with 'skypipe broker', not by skypipe itself: stop it where it runs (its terminal, its service, or 'docker stop' for a container)\n`,
      );
    } finally {
      await broker.kill('SIGTERM');
    }
    assert.equal(existsSync(recordPath(sky)), false, 'the record goes with the broker');
  });

  it('takes the key only as itself: one character off is a bad password', async () => {
    const broker = await served(sky, { users: ['edge'] });
    try {
      const { key, user } = readRecord(sky).served;
      const forged = `${key!.slice(0, -1)}${key!.endsWith('A') ? 'B' : 'A'}`;
      const attempt = (password: string) =>
        mqtt.connectAsync(broker.url, { username: user!, password, protocolVersion: 4, reconnectPeriod: 0 });
      await assert.rejects(attempt(forged), /Bad username or password/);
      const client = await attempt(key!);
      await client.endAsync();
    } finally {
      await broker.kill('SIGTERM');
    }
  });

  it('asks which user when the broker has several, and takes --username', async () => {
    const broker = await served(sky, { users: ['alice', 'bob'] });
    try {
      assert.equal(readRecord(sky).served.user, null);
      const unnamed = await sky.run(['send', 'p'], { input: 'x\n' });
      assert.equal(unnamed.code, 2);
      assert.equal(
        unnamed.stderr.toString(),
        "skypipe: this machine's broker has several users: say which one with --username (or SKYPIPE_USERNAME)\n",
      );
      const remote = `mqtt://bob:bob-password@127.0.0.1:${broker.port}`;
      const receiver = sky.start(['recv', 'p', '--url', remote]);
      await consumerAttached(remote, 'p', topicRoot(undefined, 'bob')!);
      const sent = await sky.run(['send', 'p', '--username', 'bob'], { input: 'for bob\n' });
      assert.equal(sent.code, 0, sent.stderr.toString());
      assert.equal((await receiver.result).stdout.toString(), 'for bob\n');
    } finally {
      await broker.kill('SIGTERM');
    }
  });

  it('refuses to start while a local broker runs here', async () => {
    const own = new Sky();
    try {
      assert.equal((await own.run(['send', 'warm'], { input: 'x\n' })).code, 0);
      await until(async () => existsSync(recordPath(own)), 'the local broker');
      const local = JSON.parse(readFileSync(recordPath(own), 'utf8')) as { pid: number };
      const refused = await own.run(['broker', '--port', '0', '--local-clients']);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.stderr.toString(),
        `skypipe: --local-clients: a local broker already runs here (pid ${local.pid}); stop it with 'skypipe broker stop' first\n`,
      );
    } finally {
      await own.close();
    }
  });
});
