// A broker that drops what does not fit its queue and still acknowledges it to the sender: stock
// Mosquitto keeps 1,000 messages per client. No check on the frames that arrive can see a stream
// dropped whole; the senders' records of what they sent can, and the receiver names each one.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { parseBrokerUrl } from '../src/client/transport/broker-target.js';
import { DEFAULT_SEND_SETTINGS, send } from '../src/client/index.js';
import { pipeTopics } from '../src/protocol/topics.js';
import { missingBroker } from './brokers.js';
import { consumerAttached, sleep, until } from './harness.js';
import { installed, skyWithExternalBroker } from './external-brokers.js';

const STREAMS = 8;
/** 1,500 lines of 100 bytes, sent in 1 KiB frames: 151 messages a stream, 1,208 in all. */
function streamText(index: number): string {
  return Array.from(
    { length: 1500 },
    (_, line) => `stream ${index} line ${String(line).padStart(5, '0')} `.padEnd(99, 'x') + '\n',
  ).join('');
}

const FIX = 'raise its queue limit \\(Mosquitto: max_queued_messages 0\\)';
const SENT_ANY = `a \\d+ bytes stream sent from ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at \\S+`;
const SENT = `a 150000 bytes stream sent from ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z`;
const droppedWhole = (pipe: string) =>
  new RegExp(`^skypipe: the broker dropped ${SENT} into pipe '${pipe}': none of it arrived; ${FIX}$`);
const DROPPED_REST = new RegExp(
  `^skypipe: the broker dropped the rest of ${SENT} after (\\d+) bytes of its stream; the output is incomplete; ${FIX}$`,
);

describe('a broker that drops messages past its queue limit (stock Mosquitto)', () => {
  const binary = installed('mosquitto');
  if (binary === null) {
    missingBroker('the queue-limit test', 'mosquitto', 'mosquitto is not installed');
    return;
  }
  const { sky, broker } = skyWithExternalBroker('mosquitto', binary, { base: 'stock' });

  it(
    'names every stream it dropped, fails that receive, and leaves the pipe usable',
    { timeout: 240_000 },
    async () => {
      const inputs = Array.from({ length: STREAMS }, (_, index) => streamText(index));
      for (const input of inputs) {
        // The broker acknowledges every frame, kept or not: the sender cannot tell.
        const sent = await sky.run(['send', 'queue', '--url', broker.url, '--frame-size', '1K'], { input });
        assert.equal(sent.code, 0, sent.stderr);
      }
      let whole = 0;
      for (;;) {
        const received = await sky.run(['recv', 'queue', '--url', broker.url]);
        if (received.code !== 0) {
          assert.equal(received.code, 3, received.stderr);
          const lines = received.stderr.trimEnd().split('\n');
          // A stream cut short by the limit (if one was) is the primary one: reported last.
          const rest = DROPPED_REST.exec(lines.at(-1)!);
          const wholeDrops = rest === null ? lines : lines.slice(0, -1);
          for (const line of wholeDrops) assert.match(line, droppedWhole('queue'));
          if (rest !== null) {
            assert.equal(Number(rest[1]), received.stdout.length);
            assert.ok(
              received.stdout.length > 0 && inputs[whole]!.startsWith(received.stdout.toString()),
              'the part that arrived, byte for byte',
            );
          } else assert.equal(received.stdout.length, 0);
          assert.equal(whole + lines.length, STREAMS, 'every stream written whole or named');
          break;
        }
        assert.equal(received.stderr, '');
        assert.equal(received.stdout.toString(), inputs[whole], `stream ${whole} whole and in order`);
        whole += 1;
        assert.ok(whole < STREAMS, 'the queue limit dropped nothing');
      }
      // skypipe keeps five senders' worth of frames within a queue of 1,000.
      assert.ok(whole >= 5, `only ${whole} streams came whole`);
      const after = await sky.run(['send', 'queue', '--url', broker.url], { input: 'after\n' });
      assert.equal(after.code, 0, after.stderr);
      const next = await sky.run(['recv', 'queue', '--url', broker.url]);
      assert.deepEqual([next.code, next.stdout.toString(), next.stderr], [0, 'after\n', '']);
    },
  );

  it('names what it dropped to a following receiver, which goes on', { timeout: 240_000 }, async () => {
    const inputs = Array.from({ length: STREAMS }, (_, index) => streamText(index));
    const receiver = sky.start(['recv', '-f', 'queue-f', '--url', broker.url]);
    await consumerAttached(broker.url, 'queue-f');
    // A consumer that reads nothing for a while: the broker queues for it, up to its limit.
    receiver.child.kill('SIGSTOP');
    try {
      for (const input of inputs) {
        const sent = await sky.run(['send', 'queue-f', '--url', broker.url, '--frame-size', '1K'], { input });
        assert.equal(sent.code, 0, sent.stderr);
      }
    } finally {
      receiver.child.kill('SIGCONT');
    }
    // Each stream is whole, or named: its end (the one the limit cut), or all of it.
    const named = () =>
      receiver
        .stderrSoFar()
        .split('\n')
        .filter((line) => line !== '').length;
    const whole = () => inputs.filter((input) => receiver.output().includes(input)).length;
    await until(() => whole() + named() >= STREAMS, 'every stream whole or named', 120_000);
    const after = await sky.run(['send', 'queue-f', '--url', broker.url], { input: 'after\n' });
    assert.equal(after.code, 0, after.stderr);
    await until(() => receiver.output().toString().endsWith('after\n'), 'the next stream');
    receiver.child.kill('SIGINT');
    const received = await receiver.result;
    assert.equal(received.code, 130, received.stderr);
    const lines = received.stderr.trimEnd().split('\n');
    const cut = lines.map((line) => DROPPED_REST.exec(line)).filter((match) => match !== null);
    assert.ok(cut.length <= 1, 'the limit cuts one stream');
    for (const line of lines) if (!DROPPED_REST.test(line)) assert.match(line, droppedWhole('queue-f'));
    const complete = STREAMS - lines.length;
    assert.ok(complete >= 5, `only ${complete} streams came whole`);
    // In the order sent: the streams that fit, the part of the one cut, then the next stream.
    const expected =
      inputs.slice(0, complete).join('') +
      (cut.length === 1 ? inputs[complete]!.slice(0, Number(cut[0]![1])) : '') +
      'after\n';
    assert.equal(received.stdout.length, expected.length);
    assert.ok(received.stdout.toString() === expected, 'every byte that came, once and in order');
  });

  it(
    'names every stream it dropped from a burst of 1,000 senders into a following receiver',
    { timeout: 300_000 },
    async () => {
      const senders = 1000;
      const linesEach = 5;
      const receiver = sky.start(['recv', '-f', 'burst', '--url', broker.url]);
      await consumerAttached(broker.url, 'burst');
      const target = parseBrokerUrl(broker.url, 'the test');
      const warnings: string[] = [];
      const streams = Array.from({ length: senders }, (_, sender) =>
        Array.from({ length: linesEach }, (_, line) => `sender ${sender} line ${line}\n`),
      );
      const sends: Promise<number>[] = [];
      for (const lines of streams) {
        const input = new PassThrough();
        input.end(lines.join(''));
        sends.push(
          send({
            target,
            topics: pipeTopics('burst'),
            input,
            settings: DEFAULT_SEND_SETTINGS,
            events: { warn: (message) => warnings.push(message) },
          }),
        );
        await sleep(3);
      }
      // The broker acknowledges every frame, kept or not: every sender succeeds.
      assert.equal((await Promise.all(sends)).length, senders);
      assert.deepEqual(warnings, []);
      // Each stream is whole, or named once: all of it dropped, its end (after some or all of its
      // lines), or frames before its end (a gap).
      const restLine = new RegExp(
        `^skypipe: the broker dropped the rest of a (\\d+) bytes stream sent from .* after (\\d+) bytes of its stream; the output is incomplete; ${FIX}$`,
      );
      const wholeLine = new RegExp(
        `^skypipe: the broker dropped ${SENT_ANY} into pipe 'burst': none of it arrived; ${FIX}$`,
      );
      const gapLine =
        /^skypipe: the broker dropped frames of a stream after \d+ bytes of its stream; the output is incomplete; see the README on broker settings$/;
      const outcome = (stdout: string, stderr: string) => {
        const arrived = new Set(stdout.split(/(?<=\n)/));
        const whole = streams.filter((lines) => lines.every((line) => arrived.has(line))).length;
        const reports = stderr.split('\n').filter((line) => line !== '');
        const rests = reports.map((line) => restLine.exec(line)).filter((match) => match !== null);
        const droppedWhole = reports.filter((line) => wholeLine.test(line)).length;
        const gaps = reports.filter((line) => gapLine.test(line)).length;
        // The end of a stream whose every line came; the rest of one cut short.
        const endOnly = rests.filter((match) => match[1] === match[2]).length;
        const cutShort = rests.length - endOnly;
        return { whole, reports, droppedWhole, gaps, endOnly, cutShort, named: droppedWhole + gaps + cutShort };
      };
      await until(
        () => {
          const { whole, named } = outcome(receiver.output().toString(), receiver.stderrSoFar());
          return whole + named >= senders;
        },
        'every stream whole or named',
        200_000,
      ).catch(() => {}); // judged below, with the counts
      await sleep(2000); // anything written twice, or named twice, would show up now
      receiver.child.kill('SIGINT');
      const received = await receiver.result;
      assert.equal(received.code, 130, received.stderr);
      const lines = received.stdout
        .toString()
        .split(/(?<=\n)/)
        .filter((line) => line !== '');
      assert.equal(new Set(lines).size, lines.length, 'no line twice');
      const { whole, reports, droppedWhole, gaps, endOnly, cutShort, named } = outcome(
        received.stdout.toString(),
        received.stderr,
      );
      const counts = `${whole} whole (${endOnly} of them named without their end), ${droppedWhole} named dropped whole, ${cutShort} named cut short, ${gaps} named with a gap`;
      assert.equal(named + endOnly, reports.length, `only reports of dropped streams: ${received.stderr}`);
      assert.equal(whole + named, senders, `each stream whole or named once: ${counts}`);
      console.log(`# burst on stock Mosquitto: ${counts}`);
    },
  );
});
