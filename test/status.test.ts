// `skypipe status`: the broker in use and whether it answers, and what the pipes' records show,
// as a table and as JSON, on our broker and on stock Mosquitto. Real processes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe } from 'node:test';
import mqtt from 'mqtt';
import { topicRoot } from '../src/protocol/topics.js';
import { BROKERS, brokerTest, missingBroker } from './brokers.js';
import { skyForSuite, until, type Sky } from './harness.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface Report {
  broker: { url: string; origin: string; answers: boolean; mqtt?: string; tls?: boolean; pinned?: boolean };
  pipes: {
    name: string;
    consumer: { host: string; pid: number } | null;
    sending: number;
    waiting: number;
    queued: { frames: number; bytes: number } | null;
  }[];
}

async function statusJson(sky: Sky, args: string[] = []): Promise<Report & { broker: { skypipe?: string | null } }> {
  const result = await sky.run(['status', ...args, '--json']);
  assert.equal(result.code, 0, result.stderr.toString());
  return JSON.parse(result.stdout.toString()) as Report;
}

for (const broker of BROKERS.filter(({ name }) => name.startsWith('skypipe') || name === 'mosquitto')) {
  describe(`skypipe status on ${broker.name}`, () => {
    if (broker.missing !== undefined) return missingBroker('the status test', broker.name, broker.missing);
    const sky = skyForSuite(broker.url);
    const ours = broker.url === undefined;

    brokerTest('says where the broker is, that it answers, and what waits in each pipe', async () => {
      if (ours) {
        const before = await sky.run(['status']);
        assert.equal(before.code, 1);
        assert.equal(before.stdout.toString(), 'broker   the local broker\nanswers  no\n');
        assert.equal(
          before.stderr.toString(),
          "skypipe: the local broker is not running; it starts by itself with the first 'skypipe send' or 'recv'\n",
        );
      }
      assert.equal((await sky.run(['send', 'logs'], { input: Buffer.from('hello\n') })).code, 0);
      assert.equal((await sky.run(['send', 'two words'], { input: randomBytes(3000) })).code, 0);
      const watcher = sky.start(['recv', '-f', 'watched']);
      await sky.consumerAttached('watched');
      // Foreign retained messages among the records: a level no pipe name makes, and records that are none.
      const url = await sky.brokerUrl();
      const root = topicRoot(sky.env.SKYPIPE_TOPIC_PREFIX)!;
      const stranger = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
      for (const [topic, payload] of [
        [`${root}/not%2fa-name/p`, '{"id":"x","host":"h","pid":1}'],
        [`${root}/logs/s/${'ab'.repeat(16)}`, 'not a record'],
        [`${root}/logs/a/${'ab'.repeat(16)}`, '-5'],
        [`${root}/foreign/p`, '\u0000garbage'],
      ] as const)
        await stranger.publishAsync(topic, payload, { qos: 1, retain: true });
      await stranger.endAsync();

      const report = await statusJson(sky);
      assert.equal(report.broker.url, url);
      assert.equal(report.broker.origin, ours ? 'the local broker' : 'SKYPIPE_URL');
      assert.equal(report.broker.answers, true);
      assert.equal(report.broker.skypipe, ours ? VERSION : null);
      assert.equal(report.broker.mqtt, ours ? '3.1.1' : '5');
      assert.deepEqual([report.broker.tls, report.broker.pinned], [false, false]);
      // Our broker counts each mailbox's frames: a stream's bytes, a 32-byte header a frame, and the end's hash.
      const queued = (pipe: string, streamBytes: number) => {
        const counted = report.pipes.find((one) => one.name === pipe)!.queued;
        if (!ours) return assert.equal(counted, null);
        assert.ok(counted !== null && counted.frames >= 2, `${pipe}: ${JSON.stringify(counted)}`);
        assert.equal(counted.bytes, streamBytes + 32 * counted.frames + 32, pipe);
      };
      queued('logs', 6);
      queued('two words', 3000);
      const counted = (pipe: { queued: unknown }) => pipe.queued !== null;
      assert.deepEqual(
        report.pipes.map(({ queued: _, ...rest }) => rest),
        [
          { name: 'logs', consumer: null, sending: 0, waiting: 1, waitingBytes: 6 },
          { name: 'two words', consumer: null, sending: 0, waiting: 1, waitingBytes: 3000 },
          {
            name: 'watched',
            consumer: { host: hostname(), pid: watcher.child.pid },
            sending: 0,
            waiting: 0,
            waitingBytes: 0,
          },
        ],
      );
      assert.deepEqual(report.pipes[2]!.queued, ours ? { frames: 0, bytes: 0 } : null);
      assert.equal(report.pipes.every(counted), ours);

      const table = await sky.run(['status', 'two words']);
      assert.equal(table.code, 0);
      const kind = ours ? `skypipe broker ${VERSION}; MQTT 3.1.1` : 'not a skypipe broker; MQTT 5';
      const origin = ours ? 'the local broker' : 'SKYPIPE_URL';
      assert.match(
        table.stdout.toString(),
        new RegExp(
          `^broker   ${url.replaceAll('.', '\\.')} \\(${origin}\\)\\n` +
            `answers  in \\d+\\.\\d ms \\(connected in \\d+\\.\\d ms\\); ${kind}; no TLS\\n\\n` +
            (ours
              ? 'PIPE       CONSUMER  SENDING  WAITING               QUEUED\\n' +
                'two words  nobody    0        1 stream, 3000 bytes  \\d+ bytes\\n$'
              : 'PIPE       CONSUMER  SENDING  WAITING\\n' + 'two words  nobody    0        1 stream, 3000 bytes\\n$'),
        ),
      );

      // Once received, nothing waits; the pipe named is still shown.
      assert.equal((await sky.run(['recv', 'logs'])).stdout.toString(), 'hello\n');
      await until(
        async () => (await statusJson(sky, ['logs'])).pipes[0]?.waiting === 0,
        'the stream received to leave the records',
      );
      assert.deepEqual((await statusJson(sky, ['logs'])).pipes, [
        {
          name: 'logs',
          consumer: null,
          sending: 0,
          waiting: 0,
          waitingBytes: 0,
          queued: ours ? { frames: 0, bytes: 0 } : null,
        },
      ]);
      watcher.child.kill('SIGINT');
      await watcher.result;
    });
  });
}
