// Faults on every broker, each test suite with a private broker it can cut off and kill: network
// cuts, a broker killed with SIGKILL, and a thousand senders at once. A killed sender, foreign
// messages and clients on our topics are in the in-process tier (test/in-process/).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe } from 'node:test';
import { parseBrokerUrl } from '../src/client/transport/broker-target.js';
import { DEFAULT_SEND_SETTINGS, send } from '../src/client/index.js';
import { pipeTopics } from '../src/protocol/topics.js';
import { BROKERS, brokerTest, knownIssueTest, missingBroker } from './brokers.js';
import { installed, skyWithExternalBroker } from './external-brokers.js';
import { consumerAttached, skyWithBroker, sleep, until, type Running } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

/** Feeds `data` to a sender in 1 MiB pieces, 100 ms apart, so that a stream lasts a while. */
async function feedSlowly(sender: Running, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; at += 1024 * 1024) {
    sender.child.stdin!.write(data.subarray(at, at + 1024 * 1024));
    await sleep(100); // a stream that lasts a while
  }
  sender.child.stdin!.end();
}

for (const target of BROKERS) {
  describe(`faults on ${target.name}`, () => {
    const binary = target.kind === undefined ? null : installed(target.kind);
    if (target.kind !== undefined && binary === null) {
      missingBroker('the fault suite', target.name, `${target.kind} is not installed`);
      return;
    }
    const { sky, broker } = target.kind === undefined ? skyWithBroker() : skyWithExternalBroker(target.kind, binary!);
    const test = brokerTest;
    let proxy: TcpProxy;
    before(async () => {
      proxy = await TcpProxy.start(broker.port);
    });
    after(() => proxy.close());

    for (const side of ['sender', 'receiver'] as const) {
      test(`completes a stream byte for byte when the ${side}'s connection is cut for 10 s`, async () => {
        const data = randomBytes(24 * 1024 * 1024 + 5);
        const name = `cut-${side}`;
        const receiver = sky.start(['recv', name, '--url', side === 'receiver' ? proxy.url : broker.url]);
        await consumerAttached(broker.url, name);
        const sender = sky.start(['send', name, '--url', side === 'sender' ? proxy.url : broker.url], {
          input: 'pipe',
        });
        const feeding = feedSlowly(sender, data);
        await until(() => receiver.output().length >= 6 * 1024 * 1024, 'the first 6 MiB at the receiver');
        proxy.cut(10_000);
        await feeding;
        const [sent, received] = [await sender.result, await receiver.result];
        assert.equal(sent.code, 0, sent.stderr);
        assert.equal(received.code, 0, received.stderr);
        assert.equal(received.stdout.length, data.length);
        assert.ok(received.stdout.equals(data), 'the stream arrived byte for byte');
      });
    }

    test('completes a live stream byte for byte when the broker is killed with SIGKILL and restarted', async () => {
      const data = randomBytes(24 * 1024 * 1024 + 9);
      const receiver = sky.start(['recv', 'crash', '--url', broker.url]);
      await consumerAttached(broker.url, 'crash');
      const sender = sky.start(['send', 'crash', '--url', broker.url], { input: 'pipe' });
      const feeding = feedSlowly(sender, data);
      await until(() => receiver.output().length >= 6 * 1024 * 1024, 'the first 6 MiB at the receiver');
      await broker.kill('SIGKILL');
      await sleep(1000); // the broker stays down a while: the clients find it gone and retry
      await broker.start();
      await feeding;
      const [sent, received] = [await sender.result, await receiver.result];
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(received.code, 0, received.stderr);
      assert.ok(
        received.stdout.equals(data),
        `the stream arrived byte for byte (${received.stdout.length} of ${data.length} bytes)`,
      );
    });

    // NATS may hold the first stream's frames that the second sender's mailbox check was handed
    // for ack_wait (30 s) after its restart, beyond the 45 s a later stream waits for one ahead.
    const acrossRestart =
      target.kind === 'nats'
        ? knownIssueTest(
            "at times NATS sends the frames a mailbox check was handed before the broker's restart only after the 45 s the second stream waits for the first, which then comes second, with a warning",
          )
        : test;
    acrossRestart('keeps buffered streams through a broker killed with SIGKILL and restarted', async () => {
      const first = randomBytes(5 * 1024 * 1024 + 11);
      const second = Buffer.from('second stream\n');
      for (const data of [first, second]) {
        const sent = await sky.run(['send', 'kept', '--url', broker.url], { input: data });
        assert.equal(sent.code, 0, sent.stderr);
      }
      // Mosquitto writes its store once a second here (autosave_interval 1), later on a busy machine; the others as they go.
      await sleep(3000);
      await broker.kill('SIGKILL');
      await broker.start();
      const got1 = await sky.run(['recv', 'kept', '--url', broker.url]);
      assert.equal(got1.code, 0, got1.stderr);
      assert.ok(
        got1.stdout.equals(first),
        `first stream intact (${got1.stdout.length} of ${first.length} bytes): ${got1.stderr.toString()}`,
      );
      const got2 = await sky.run(['recv', 'kept', '--url', broker.url]);
      assert.equal(got2.code, 0, got2.stderr);
      assert.deepEqual(got2.stdout, second);
    });

    test('delivers every line once from 1,000 senders at the same time into one following receiver', async () => {
      const senders = 1000;
      const linesEach = 5;
      const receiver = sky.start(['recv', '-f', 'crowd', '--url', broker.url]);
      await consumerAttached(broker.url, 'crowd');
      const brokerTarget = parseBrokerUrl(broker.url, 'the test');
      const warnings: string[] = [];
      const expected: string[] = [];
      const inputs: PassThrough[] = [];
      const sends: Promise<number>[] = [];
      for (let sender = 0; sender < senders; sender++) {
        const lines = Array.from({ length: linesEach }, (_, line) => `sender ${sender} line ${line}\n`);
        expected.push(...lines);
        const input = new PassThrough();
        input.write(lines[0]);
        inputs.push(input);
        sends.push(
          send({
            target: brokerTarget,
            topics: pipeTopics('crowd'),
            input,
            settings: DEFAULT_SEND_SETTINGS,
            events: { warn: (message) => warnings.push(message) },
          }),
        );
        // Connections spread over 3 s, as a fleet's would, rather than a SYN flood in one instant.
        await sleep(3);
      }
      // Every sender is connected with its stream open once the first line of each has arrived.
      const firstLines = expected.filter((_, index) => index % linesEach === 0).join('').length;
      await until(() => receiver.output().length >= firstLines, 'the first line of every sender', 120_000);
      inputs.forEach((input, sender) =>
        input.end(expected.slice(sender * linesEach + 1, (sender + 1) * linesEach).join('')),
      );
      const lengths = await Promise.all(sends);
      assert.equal(lengths.length, senders);
      assert.deepEqual(warnings, []);
      const total = expected.join('').length;
      // Judged below, with the count of what is missing.
      await until(() => receiver.output().length >= total, 'every line at the receiver', 120_000).catch(() => {});
      await sleep(1000); // anything written twice would show up now
      receiver.child.kill('SIGINT');
      const received = await receiver.result;
      const lines = received.stdout
        .toString()
        .split(/(?<=\n)/)
        .filter((line) => line !== '');
      const arrived = new Set(lines);
      const missing = expected.filter((line) => !arrived.has(line)).length;
      assert.equal(missing, 0, `${missing} of ${expected.length} lines missing; receiver said: ${received.stderr}`);
      assert.equal(lines.length, expected.length, 'no line twice');
      assert.equal(received.code, 130, received.stderr);
      assert.equal(received.stderr, '');
    });
  });
}
