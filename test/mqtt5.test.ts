// MQTT 5 where the broker speaks it (Mosquitto), MQTT 3.1.1 elsewhere: the version each broker
// gets, durable mailbox sessions under MQTT 5, frames sized to the broker's maximum packet, and
// the reason codes of a refusal.
// (Mosquitto 2.0.11 closes a taken-over connection without the 0x8E reason code, so the takeover
// report is not tested here.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseBrokerUrl } from '../src/client/transport/broker-target.js';
import { connect, disconnect, publish, subscribe } from '../src/client/transport/connection.js';
import { PipeError } from '../src/protocol/errors.js';
import { HEADER_BYTES } from '../src/protocol/frame.js';
import { DEFAULT_SEND_SETTINGS, send } from '../src/client/index.js';
import { pipeTopics } from '../src/protocol/topics.js';
import { describeFailure } from '../src/cli/remedies.js';
import { BROKERS, missingBroker } from './brokers.js';
import { installed, skyWithExternalBroker } from './external-brokers.js';
import { skyWithBroker, until } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

const CI = process.env.CI === 'true';
const noDelivery = { deliver: () => {} };

describe('MQTT versions', () => {
  const ours = skyWithBroker();

  it('speaks MQTT 5 to Mosquitto and MQTT 3.1.1 to aedes, NATS and RabbitMQ', async (t) => {
    const expected: Record<string, 4 | 5> = { 'skypipe (aedes)': 4, mosquitto: 5, nats: 4, rabbitmq: 4 };
    for (const broker of BROKERS) {
      const url = broker.url ?? ours.broker.url;
      if (broker.missing !== undefined) {
        if (CI) assert.fail(broker.missing);
        t.diagnostic(`not checked: ${broker.missing}`);
        continue;
      }
      const target = parseBrokerUrl(url, 'the test');
      const { client } = await connect(target, { clientId: `v${randomBytes(8).toString('hex')}`, clean: true });
      await disconnect(client);
      assert.equal(target.protocolVersion, expected[broker.name], broker.name);
    }
  });
});

/** A proxy in front of `port` that notes the protocol level (4 or 5) of each CONNECT through it. */
async function connectLevels(port: number): Promise<{ port: number; levels: number[]; close(): void }> {
  const levels: number[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    client.once('data', (first: Buffer) => {
      // Fixed header, remaining length (one byte for a CONNECT this small), "\0\4MQTT", the level.
      levels.push(first[8]!);
    });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
      from.pipe(to);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, levels, close: () => server.close() };
}

describe('a broker that speaks MQTT 3.1.1 only', () => {
  const { sky, broker } = skyWithBroker();

  it('is remembered in the state directory, and tried with MQTT 5 again after a day', async () => {
    const proxy = await connectLevels(broker.port);
    const url = `mqtt://127.0.0.1:${proxy.port}`;
    try {
      const first = await sky.run(['send', 'remembered', '--url', url], { input: 'one\n' });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(proxy.levels[0], 5);
      assert.ok(proxy.levels.slice(1).every((level) => level === 4));
      const file = join(String(sky.env.XDG_STATE_HOME), 'skypipe', 'brokers-3.1.1.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const seen = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
      assert.deepEqual(Object.keys(seen), [url]);

      proxy.levels.length = 0;
      const second = await sky.run(['send', 'remembered', '--url', url], { input: 'two\n' });
      assert.equal(second.code, 0, second.stderr);
      assert.ok(proxy.levels.length >= 2 && proxy.levels.every((level) => level === 4), String(proxy.levels));

      writeFileSync(file, JSON.stringify({ [url]: Date.now() - 25 * 60 * 60 * 1000 }));
      proxy.levels.length = 0;
      const later = await sky.run(['send', 'remembered', '--url', url], { input: 'three\n' });
      assert.equal(later.code, 0, later.stderr);
      assert.equal(proxy.levels[0], 5);
      for (const line of ['one', 'two', 'three'])
        assert.equal((await sky.run(['recv', 'remembered', '--url', url])).stdout.toString(), `${line}\n`);
    } finally {
      proxy.close();
    }
  });
});

describe('MQTT 5 on Mosquitto', () => {
  const binary = installed('mosquitto');
  if (binary === null) {
    missingBroker('the MQTT 5 suite', 'mosquitto', 'mosquitto is not installed');
    return;
  }
  // 70,000 bytes: skypipe's 1 MiB frames do not fit, 64 KiB ones do.
  const { sky, broker } = skyWithExternalBroker('mosquitto', binary, {
    base: 'recommended',
    extra: 'max_packet_size 70000\n',
  });

  it('keeps a durable session after its connection ends (session expiry)', async () => {
    const target = parseBrokerUrl(broker.url, 'the test');
    const clientId = `m${randomBytes(8).toString('hex')}`;
    const first = await connect(target, { clientId, clean: false, ...noDelivery });
    await subscribe(first.client, ['kept/topic'], 1);
    await disconnect(first.client);
    const other = await connect(target, { clientId: `o${randomBytes(8).toString('hex')}`, clean: true });
    await publish(other.client, 'kept/topic', Buffer.from('waited'), { qos: 1 });
    await disconnect(other.client);
    const got: string[] = [];
    const again = await connect(target, {
      clientId,
      clean: false,
      deliver: (packet, ack) => (got.push(packet.payload.toString()), ack()),
    });
    assert.equal(target.protocolVersion, 5);
    assert.equal(again.sessionPresent, true);
    await until(() => got.length > 0, 'the queued message');
    assert.deepEqual(got, ['waited']);
    await disconnect(again.client);
  });

  it('stays with MQTT 5 when the network closes a connection during the handshake', async () => {
    const proxy = await TcpProxy.start(broker.port);
    try {
      const target = parseBrokerUrl(proxy.url, 'the test');
      const options = () => ({ clientId: `c${randomBytes(8).toString('hex')}`, clean: true });
      await disconnect((await connect(target, options())).client);
      assert.equal(target.protocolVersion, 5);
      proxy.cut(1500);
      await assert.rejects(connect(target, options()), PipeError);
      assert.equal(target.protocolVersion, 5, 'a cut is not a broker that lacks MQTT 5');
      await proxy.outageOver();
      const { client } = await connect(target, options());
      assert.equal(client.options.protocolVersion, 5);
      await disconnect(client);
    } finally {
      await proxy.close();
    }
  });

  it('sizes frames to the maximum packet size the broker announces', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const sent = await sky.run(['send', 'small-packets', '--url', broker.url], { input: data });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await sky.run(['recv', 'small-packets', '--url', broker.url]);
    assert.equal(received.code, 0, received.stderr);
    assert.ok(
      received.stdout.equals(data),
      `the stream arrived byte for byte (${received.stdout.length} of ${data.length} bytes)`,
    );
  });

  it('under MQTT 3.1.1, where the limit goes unsaid, gives up on frames the broker keeps refusing, and takes --frame-size', async () => {
    // The same broker, spoken to in 3.1.1: it closes the connection on each 1 MiB frame.
    const sendAs311 = (frameBytes: number) =>
      send({
        target: { ...parseBrokerUrl(broker.url, 'the test'), protocolVersion: 4 },
        topics: pipeTopics('unsaid'),
        input: Readable.from([randomBytes(2 * 1024 * 1024)]),
        settings: { ...DEFAULT_SEND_SETTINGS, frameBytes },
        events: { warn: () => {} },
      });
    await assert.rejects(sendAs311(DEFAULT_SEND_SETTINGS.frameBytes), (error: PipeError) => {
      // Random bytes: the frame ends at the last newline byte in its megabyte. The line the command line prints:
      const line = describeFailure(error);
      const match =
        /^the broker closed the connection 5 times in a row while a (\d+)-byte frame was on its way, acknowledging nothing: it probably takes smaller packets; raise its maximum packet size \(Mosquitto: max_packet_size\) or send smaller frames with --frame-size$/.exec(
          line,
        );
      assert.ok(match, line);
      assert.ok(
        Number(match[1]) > 70_000 && Number(match[1]) <= DEFAULT_SEND_SETTINGS.frameBytes + HEADER_BYTES,
        match[1],
      );
      return true;
    });
    assert.equal(await sendAs311(32 * 1024), 2 * 1024 * 1024);
  });
});

describe('MQTT 5 on Mosquitto with a tiny maximum packet size', () => {
  const binary = installed('mosquitto');
  if (binary === null) return; // reported above
  const { sky, broker } = skyWithExternalBroker('mosquitto', binary, {
    base: 'recommended',
    extra: 'max_packet_size 600\n',
  });

  it('refuses to send with a one-line reason naming the setting', async () => {
    const sent = await sky.run(['send', 'x', '--url', broker.url], { input: 'hello\n' });
    assert.equal(sent.code, 1);
    assert.equal(
      sent.stderr,
      "skypipe: the broker takes MQTT packets of at most 600 bytes, too small for skypipe's frames; raise its maximum packet size (Mosquitto: max_packet_size) to 64 KiB or more\n",
    );
  });
});

describe('MQTT 5 refusals on Mosquitto', () => {
  const binary = installed('mosquitto');
  if (binary === null) return; // reported above
  // A password file Mosquitto (running as its own user) can read.
  const dir = mkdtempSync(join(tmpdir(), 'skypipe-passwords-'));
  chmodSync(dir, 0o755);
  const passwords = join(dir, 'passwords');
  spawnSync('mosquitto_passwd', ['-b', '-c', passwords, 'alice', 'secret']);
  chmodSync(passwords, 0o644);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { sky, broker } = skyWithExternalBroker('mosquitto', binary, {
    base: 'recommended',
    extra: `allow_anonymous false\npassword_file ${passwords}\n`,
  });

  it('names the refusal in one line: wrong password, no credentials', async () => {
    const port = broker.port;
    // Mosquitto 2.0 answers both with reason code 0x87 under MQTT 5; without credentials, that means they are needed.
    const refusals = [
      [`mqtt://alice:wrong@127.0.0.1:${port}`, 'the broker says this user is not authorized'],
      [
        `mqtt://127.0.0.1:${port}`,
        'the broker requires a user name and password; give --username and --password (or SKYPIPE_USERNAME and SKYPIPE_PASSWORD)',
      ],
    ];
    for (const [url, reason] of refusals) {
      const sent = await sky.run(['send', 'x', '--url', url!], { input: 'hi\n' });
      assert.equal(sent.code, 1);
      assert.equal(sent.stderr, `skypipe: cannot use broker ${url!.replace(':wrong', '')} (from --url): ${reason}\n`);
    }
    const allowed = await sky.run(['send', 'x', '--url', `mqtt://alice:secret@127.0.0.1:${port}`], { input: 'hi\n' });
    assert.equal(allowed.code, 0, allowed.stderr);
  });
});
