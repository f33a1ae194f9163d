// Who may use a served broker: users with scrypt-hashed passwords (a file, or one user from the
// environment), each confined to a namespace with client ids bound to it; anonymous access only
// when asked for, and never by default beyond loopback.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { pipeTopics, topicRoot } from '../src/protocol/topics.js';
import { consumerAttached, ForegroundBroker, Sky, sleep, SLOW_READER, until } from './harness.js';

describe('users and namespaces', () => {
  const sky = new Sky();
  const users = join(sky.dir, 'users');
  let broker: ForegroundBroker;
  const as = (user: string, password: string) => `mqtt://${user}:${password}@127.0.0.1:${broker.port}`;

  before(async () => {
    for (const [user, password] of [
      ['alice', 'alice secret'],
      ['bob', 'bob secret'],
    ]) {
      const added = await sky.run(['broker', 'user', 'add', user!, '--users', users], { input: `${password}\n` });
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stderr, `skypipe: added user '${user}' in ${users}\n`);
    }
    broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), ['--users', users]);
    await broker.start();
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await sky.close();
  });

  it('keeps scrypt hashes, not passwords, in a file only its owner reads, and lists and removes users', async () => {
    const text = readFileSync(users, 'utf8');
    assert.match(
      text,
      /^alice:scrypt:16384:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\nbob:scrypt:16384:8:1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\n$/,
    );
    assert.ok(!text.includes('secret'));
    assert.equal(statSync(users).mode & 0o777, 0o600);
    const listed = await sky.run(['broker', 'user', 'list', '--users', users]);
    assert.equal(listed.stdout.toString(), 'alice\nbob\n');
    const other = join(sky.dir, 'other-users');
    assert.equal((await sky.run(['broker', 'user', 'add', 'carol', '--users', other], { input: 'pw\n' })).code, 0);
    const removed = await sky.run(['broker', 'user', 'remove', 'carol', '--users', other]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(readFileSync(other, 'utf8'), '');
    const again = await sky.run(['broker', 'user', 'remove', 'carol', '--users', other]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `skypipe: no user 'carol' in ${other}\n`);
    const badName = await sky.run(['broker', 'user', 'add', 'a/b', '--users', other], { input: 'pw\n' });
    assert.equal(badName.code, 2);
    assert.equal(
      badName.stderr,
      "skypipe: 'a/b' is not a user name: use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit\n",
    );
    const empty = await sky.run(['broker', 'user', 'add', 'dave', '--users', other], { input: '\n' });
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, 'skypipe: the password is empty; nothing changed\n');
  });

  it("tells a user what waits in their own mailboxes, and nothing of another user's", async () => {
    assert.equal((await sky.run(['send', 'counted', '--url', as('bob', 'bob secret')], { input: 'bob\n' })).code, 0);
    const alice = await mqtt.connectAsync(broker.url, {
      username: 'alice',
      password: 'alice secret',
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    const heard: string[] = [];
    alice.on('message', (topic) => heard.push(topic));
    const bobs = `${topicRoot(undefined, 'bob')}/%queued`;
    const own = `${topicRoot(undefined, 'alice')}/%queued`;
    // The SUBACK refuses another user's (0x80: MQTT.js rejects), grants one's own.
    await assert.rejects(alice.subscribeAsync(bobs, { qos: 0 }), /Unspecified error/);
    await alice.subscribeAsync(own, { qos: 0 });
    await until(() => heard.includes(own), "alice's own report");
    await alice.publishAsync(`${topicRoot(undefined, 'alice')}/fence`, 'x', { qos: 1 });
    assert.deepEqual(heard, [own]);
    await alice.endAsync();
    const bob = await sky.run(['status', 'counted', '--json', '--url', as('bob', 'bob secret')]);
    const queued = (JSON.parse(bob.stdout.toString()) as { pipes: { queued: { frames: number } }[] }).pipes[0]!.queued;
    assert.equal(queued.frames, 2, 'bob sees his own frames');
  });

  it('refuses a wrong password and a client without credentials, each in one line', async () => {
    const wrong = await sky.run(['send', 'p', '--url', as('alice', 'guess')], { input: 'no\n' });
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `skypipe: cannot use broker mqtt://alice@127.0.0.1:${broker.port} (from --url): the broker refused the username or password; check --username/--password or the URL\n`,
    );
    const anonymous = await sky.run(['send', 'p', '--url', broker.url], { input: 'no\n' });
    assert.equal(anonymous.code, 1);
    assert.equal(
      anonymous.stderr,
      `skypipe: cannot use broker ${broker.url} (from --url): the broker requires a user name and password; give --username and --password (or SKYPIPE_USERNAME and SKYPIPE_PASSWORD)\n`,
    );
  });

  it("keeps each user's pipes apart: same name, different data", async () => {
    const sentA = await sky.run(
      ['send', 'shared', '--url', broker.url, '--username', 'alice', '--password', 'alice secret'],
      { input: 'for alice\n' },
    );
    assert.equal(sentA.code, 0, sentA.stderr);
    const sentB = await sky.run(['send', 'shared', '--url', as('bob', 'bob%20secret')], { input: 'for bob\n' });
    assert.equal(sentB.code, 0, sentB.stderr);
    const gotB = await sky.run(['recv', 'shared', '--url', broker.url], {
      env: { SKYPIPE_USERNAME: 'bob', SKYPIPE_PASSWORD: 'bob secret' },
    });
    assert.equal(gotB.stdout.toString(), 'for bob\n');
    const gotA = await sky.run(['recv', 'shared', '--url', as('alice', 'alice%20secret')]);
    assert.equal(gotA.stdout.toString(), 'for alice\n');
  });

  it("lets no user take over or read another's mailbox session, nor $SYS", async () => {
    const data = randomBytes(300_000);
    const sent = await sky.run(['send', 'private', '--url', as('alice', 'alice%20secret')], { input: data });
    assert.equal(sent.code, 0, sent.stderr);
    const alices = pipeTopics('private', topicRoot(undefined, 'alice')!);
    // Bob connects with the client id of Alice's mailbox, persistent session, and tries every way in.
    // A Will into her pipe is refused at CONNECT (return code 5).
    const asBob = { protocolVersion: 4, clientId: alices.mailboxClientId, clean: false, username: 'bob' } as const;
    const will = { topic: alices.presence, payload: Buffer.from('not from alice'), qos: 1 as const, retain: true };
    await assert.rejects(
      mqtt.connectAsync(broker.url, { ...asBob, password: 'bob secret', will, reconnectPeriod: 0 }),
      (error: { code?: number }) => error.code === 5,
    );
    const bob = await mqtt.connectAsync(broker.url, { ...asBob, password: 'bob secret', reconnectPeriod: 0 });
    const seen: string[] = [];
    bob.on('message', (topic) => seen.push(topic));
    for (const filter of [alices.data, '#', '$SYS/#', 'u/alice/#', 'u/+/skypipe/v1/#']) {
      // MQTT.js fails a subscription that the SUBACK refuses (0x80).
      const refused = await bob.subscribeAsync(filter, { qos: 1 }).then(
        () => false,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0] === 128,
      );
      assert.ok(refused, `the broker refuses ${filter} to bob`);
    }
    // Nothing may arrive: what would (a retained or queued message) has a second to.
    await sleep(1000);
    bob.end(true);
    assert.deepEqual(seen, []);
    const received = await sky.run(['recv', 'private', '--url', as('alice', 'alice%20secret')]);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), 'everything Alice sent is still in her pipe');
    assert.equal(received.stderr, '', "no word of Bob's Will in her pipe");
  });

  it('takes a user from SKYPIPE_BROKER_USER and SKYPIPE_BROKER_PASSWORD, for containers', async () => {
    const container = new ForegroundBroker(sky, join(sky.dir, 'container-data'), [
      '--users',
      join(sky.dir, 'no-users-file'),
      '--host',
      '0.0.0.0',
    ]);
    const env = { SKYPIPE_BROKER_USER: 'edge', SKYPIPE_BROKER_PASSWORD: 'edge-password' };
    const previous = { ...sky.env };
    Object.assign(sky.env, env);
    try {
      await container.start();
    } finally {
      for (const key of Object.keys(env)) delete sky.env[key];
      Object.assign(sky.env, previous);
    }
    const url = `mqtt://edge:edge-password@127.0.0.1:${container.port}`;
    const receiver = sky.start(['recv', 'edge-logs', '--url', url]);
    await consumerAttached(
      container.url.replace('mqtt://', 'mqtt://edge:edge-password@'),
      'edge-logs',
      topicRoot(undefined, 'edge')!,
    );
    assert.equal((await sky.run(['send', 'edge-logs', '--url', url], { input: 'line\n' })).code, 0);
    assert.equal((await receiver.result).stdout.toString(), 'line\n');
    await container.kill('SIGTERM');
  });

  it('refuses to listen beyond loopback with no users unless told --anonymous', async () => {
    const refused = await sky.run(['broker', '--host', '0.0.0.0', '--port', '0', '--users', join(sky.dir, 'none')]);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `skypipe: this broker would listen beyond loopback with no users: add one with 'skypipe broker user add NAME' (${join(sky.dir, 'none')}), or set SKYPIPE_BROKER_USER and SKYPIPE_BROKER_PASSWORD; --anonymous lets anyone in\n`,
    );
    const open = sky.start([
      'broker',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--users',
      join(sky.dir, 'none'),
      '--anonymous',
      '--data-dir',
      join(sky.dir, 'open-data'),
    ]);
    const deadline = Date.now() + 10_000;
    while (!open.stderrSoFar().includes('warning') && Date.now() < deadline) await sleep(50);
    open.child.kill('SIGTERM');
    const stopped = await open.result;
    assert.match(
      stopped.stderr,
      /^skypipe: broker listening on mqtt:\/\/0\.0\.0\.0:\d+; data in .+\nskypipe: warning: anonymous access: anyone who reaches this broker can read and write every pipe\nskypipe: broker stopped \(SIGTERM\)\n$/,
    );
  });
});

/** For a describe block: a sky and a broker, started before its tests, whose one user is `user` with `password`. */
function brokerWithOneUser(
  user: string,
  password: string,
  brokerArgs: string[],
): { sky: Sky; broker: ForegroundBroker } {
  const sky = new Sky();
  const users = join(sky.dir, 'users');
  const broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), ['--users', users, ...brokerArgs]);
  before(async () => {
    assert.equal(
      (await sky.run(['broker', 'user', 'add', user, '--users', users], { input: `${password}\n` })).code,
      0,
    );
    await broker.start();
  });
  after(async () => {
    await broker.kill('SIGTERM');
    await sky.close();
  });
  return { sky, broker };
}

describe('connections per user', () => {
  const { sky, broker } = brokerWithOneUser('carol', 'carol secret', ['--max-connections-per-user', '2']);

  it('refuses a connection over the limit in one line, and lets a client take its own session back', async () => {
    const connectAs = (clientId: string) =>
      mqtt.connectAsync(broker.url, {
        protocolVersion: 4,
        clientId,
        clean: true,
        username: 'carol',
        password: 'carol secret',
        reconnectPeriod: 0,
      });
    const held = [await connectAs('one'), await connectAs('two')];
    const url = `mqtt://carol:carol%20secret@127.0.0.1:${broker.port}`;
    const refused = await sky.run(['send', 'limited', '--url', url], { input: 'no room\n' });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `skypipe: cannot use broker mqtt://carol@127.0.0.1:${broker.port} (from --url): the broker is unavailable to this client: it may be at a limit (such as connections per user) or stopping; try again later\n`,
    );
    // The same client id again is the same session: allowed at the limit.
    const again = await connectAs('two');
    assert.ok(again.connected);
    for (const client of [held[0]!, again]) await client.endAsync();
    held[1]!.end(true);
    await sleep(300); // the broker lets go of the closed connections (no event a client sees)
    // A sender needs two at most: its own, and a moment's one to check the pipe's mailbox.
    const sent = await sky.run(['send', 'limited', '--url', url], { input: 'room now\n' });
    assert.equal(sent.code, 0, sent.stderr);
  });
});

describe('bytes waiting per user', () => {
  const { sky, broker } = brokerWithOneUser('dora', 'dora-secret', ['--max-bytes-per-user', '2M']);
  const url = () => `mqtt://dora:dora-secret@127.0.0.1:${broker.port}`;

  it("refuses a sender once the user's pipes hold its quota, in one line, and takes more once they are read", async () => {
    const within = randomBytes(1024 * 1024);
    assert.equal((await sky.run(['send', 'quota', '--url', url()], { input: within })).code, 0);
    // 32 frames, 16 of them in flight at a time: the broker holds the quota, those in flight included.
    const over = await sky.run(['send', 'quota', '--url', url(), '--frame-size', '256K'], {
      input: randomBytes(8 * 1024 * 1024),
    });
    assert.equal(over.code, 1);
    const stored =
      /^skypipe: the broker refused more of this stream: user 'dora' has (\d\.\d) MiB stored, and [\d.]+ (MiB|bytes) more is over its quota of 2\.0 MiB \(the last 65536 bytes of it kept for receivers' records\); receive some, or ask for a larger quota\n$/.exec(
        over.stderr,
      );
    assert.ok(stored, over.stderr);
    assert.ok(Number(stored[1]) >= 1.6 && Number(stored[1]) <= 2, `${stored[1]} MiB stored`);
    // The pipe gives the stream that fitted; the refused one never finished.
    const first = await sky.run(['recv', 'quota', '--url', url()]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.stdout.equals(within));
    const cut = await sky.run(['recv', 'quota', '--url', url(), '--sender-timeout', '1']);
    assert.equal(cut.code, 3);
    assert.match(
      cut.stderr,
      /^skypipe: the sender lost its connection and has not come back for \d+ s after [\d.]+ (MiB|bytes) of its stream; the output is incomplete\n$/,
    );
    // Read, the pipes hold nothing: a sender gets in again.
    const again = await sky.run(['send', 'quota', '--url', url()], { input: 'room again\n' });
    assert.equal(again.code, 0, again.stderr);
  });

  it('ends the stream of a refused sender at once for a receiver reading it, with the reason', async () => {
    // The receiver reads at 1 MiB/s, the sender sends faster: the pipe fills to the quota.
    const input = randomBytes(8 * 1024 * 1024);
    const receiver = sky.shell(
      `{ $SKYPIPE recv refused --url ${url()}; echo "exit $?" >&2; } | ${process.execPath} ${SLOW_READER} ${1024 * 1024}`,
    );
    await consumerAttached(url(), 'refused', topicRoot(undefined, 'dora')!);
    const sender = await sky.run(['send', 'refused', '--url', url(), '--frame-size', '256K'], { input });
    assert.equal(sender.code, 1);
    assert.match(sender.stderr, /^skypipe: the broker refused more of this stream: user 'dora' has/);
    // Without the abort the refused sender leaves, the receiver would wait 300 s (its sender timeout).
    const received = await until(() => receiver.child.exitCode !== null, 'the receiver to end', 30_000).then(
      () => receiver.result,
    );
    const [digest, length] = received.stdout.toString().trim().split(' ');
    assert.equal(
      digest,
      createHash('sha256')
        .update(input.subarray(0, Number(length)))
        .digest('hex'),
      'a prefix',
    );
    assert.equal(
      received.stderr.replace(/after [\d.]+ (MiB|KiB|bytes)/, 'after N'),
      `skypipe: the sender stopped before the end of its stream (${sender.stderr.slice('skypipe: '.length, -1)}) after N; the output is incomplete\nexit 3\n`,
    );
  });
});

describe('a user name without a password', () => {
  const { sky, broker } = brokerWithOneUser('erin', 'erin-secret', []);

  it('is refused as such in scripts, with how to give one', async () => {
    const refused = await sky.run(['status', '--url', `mqtt://erin@127.0.0.1:${broker.port}`]);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `skypipe: cannot use broker mqtt://erin@127.0.0.1:${broker.port} (from --url): the broker refused user 'erin' with no password given; on a terminal skypipe asks for it; elsewhere set SKYPIPE_PASSWORD, or keep it once with 'skypipe login' (never type it after --password where ps shows it)\n`,
    );
  });

  it('fails as cancelled when the prompt gets Ctrl-D, and as interrupted on Ctrl-C', async () => {
    const url = `mqtt://erin@127.0.0.1:${broker.port}`;
    for (const [key, code, said] of [
      ['\x04', 1, 'skypipe: no password given: the input ended at the prompt'],
      ['\x03', 130, ''],
    ] as const) {
      const asking = sky.shell(`script -qfec "$SKYPIPE status --url ${url}" /dev/null`, { input: 'pipe' });
      await until(() => asking.output().toString().includes(`password for ${url}: `), 'the password prompt');
      asking.child.stdin!.write(key);
      const ended = await asking.result;
      assert.equal(ended.code, code, ended.stdout.toString());
      assert.ok(ended.stdout.toString().includes(said), ended.stdout.toString());
      assert.ok(!ended.stdout.toString().includes('answers'), 'no status without a password');
    }
  });

  it('is asked for on a terminal, without echo', async () => {
    const url = `mqtt://erin@127.0.0.1:${broker.port}`;
    const asking = sky.shell(`script -qfec "$SKYPIPE status --url ${url}" /dev/null`, { input: 'pipe' });
    const prompt = `password for ${url}: `;
    await until(() => asking.output().toString().includes(prompt), 'the password prompt');
    asking.child.stdin!.end('erin-secret\n');
    const answered = await asking.result;
    const screen = answered.stdout.toString();
    assert.equal(answered.code, 0, screen);
    assert.ok(!screen.includes('erin-secret'), screen);
    assert.match(
      screen.slice(screen.indexOf(prompt) + prompt.length),
      /^(\x1b\[\d+G)?\r\nbroker   mqtt:\/\/erin@127\.0\.0\.1:\d+ \(--url\)\r\nanswers  in /,
    );
  });
});
