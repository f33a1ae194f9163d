// Bulk streams, aggregation, and what stays in the pipe when a reader stops. Listening in and a
// killed receiver are in the in-process tier (test/in-process/).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHUNKED_WRITER, LINE_WRITER, type Sky, sleep, startProcess, until } from '../harness.js';
import type { TestFn } from '../brokers.js';

export function streams(sky: Sky, test: TestFn, bigMiB: number): void {
  test(`carries a ${bigMiB} MiB random binary stream byte for byte`, async () => {
    const file = join(sky.dir, 'big');
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    for (let i = 0; i < bigMiB; i++) {
      const chunk = randomBytes(1024 * 1024);
      hash.update(chunk);
      chunks.push(chunk);
    }
    writeFileSync(file, Buffer.concat(chunks));
    chunks.length = 0;
    const receiver = sky.shell('$SKYPIPE recv big | sha256sum');
    const sender = sky.start(['send', 'big'], { input: 'pipe' });
    createReadStream(file).pipe(sender.child.stdin!);
    const [sent, received] = await Promise.all([sender.result, receiver.result]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    // Nothing but errors on stderr when it is not a terminal (a Node warning once slipped through,
    // and a false lost-session warning when receiver and sender created the mailbox together).
    assert.equal(sent.stderr, '');
    assert.equal(received.stderr, '');
    assert.equal(received.stdout.toString(), `${hash.digest('hex')}  -\n`);
  });

  test('aggregates 5 concurrent senders without tearing a line', async () => {
    const linesPerSender = 4000;
    const receiver = sky.start(['recv', '--follow', 'agg']);
    await sky.consumerAttached('agg');
    const senders = [0, 1, 2, 3, 4].map((id) => {
      // Lines of varied length, written in small pieces so that frames could cut them anywhere.
      const text = Array.from(
        { length: linesPerSender },
        (_, n) => `sender ${id} line ${n} ${'x'.repeat((n * 37) % 300)}\n`,
      ).join('');
      const file = join(sky.dir, `lines${id}`);
      writeFileSync(file, text);
      return sky.shell(`${process.execPath} ${CHUNKED_WRITER} ${file} | $SKYPIPE send agg`);
    });
    for (const sender of senders) {
      const result = await sender.result;
      assert.equal(result.code, 0, result.stderr);
    }
    const total = 5 * linesPerSender;
    await until(() => receiver.output().toString().split('\n').length > total, 'all lines');
    receiver.child.kill('SIGINT');
    const received = await receiver.result;
    assert.equal(received.code, 130, received.stderr);
    const lines = received.stdout.toString().split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, total);
    const next = [0, 0, 0, 0, 0];
    for (const line of lines) {
      const match = /^sender (\d) line (\d+) (x*)$/.exec(line);
      assert.ok(match, `torn line: ${line.slice(0, 80)}`);
      const id = Number(match[1]);
      const n = Number(match[2]);
      assert.equal(n, next[id], `sender ${id}'s lines out of order`);
      assert.equal(match[3]!.length, (n * 37) % 300);
      next[id]! += 1;
    }
  });

  test('leaves the rest in the pipe when the reader stops early (skypipe x | head -c 10)', async () => {
    const data = randomBytes(200_000);
    const sent = await sky.run(['send', 'headed'], { input: data });
    assert.equal(sent.code, 0, sent.stderr);
    const head = await sky.shell('$SKYPIPE recv headed | head -c 10').result;
    assert.ok(head.stdout.subarray(0, 10).equals(data.subarray(0, 10)));
    // The frame being written when head left stays in the pipe whole; the frames written before
    // it went with head, unread in the system's pipe buffer (64 KiB), and the next receiver says
    // where it takes the stream up.
    const rest = await sky.run(['recv', 'headed']);
    assert.equal(rest.code, 0, rest.stderr);
    const from = /continuing a stream at byte (\d+), where an earlier receiver of pipe 'headed' stopped/.exec(
      rest.stderr,
    );
    const written = from === null ? 0 : Number(from[1]);
    assert.ok(written <= 64 * 1024 + 10, `${written} bytes taken as written`);
    assert.ok(rest.stdout.equals(data.subarray(written)), 'the rest, from the frame head did not finish');
  });

  test('keeps a trickle of small frames within a broker queue of 1,000 messages', async () => {
    // One line every 7 ms, each after the broker acknowledged the last: each line is a frame of
    // its own (nothing is in flight when it comes). 1,300 lines
    // are written before anyone receives; a broker that caps its queue at 1,000 (Mosquitto)
    // would drop the rest if the sender did not stop at 200 unread frames.
    const lines = 1300;
    const sender = sky.start(['send', 'trickle'], { input: 'pipe' });
    const writer = startProcess(process.execPath, [LINE_WRITER, String(lines), '7'], {});
    writer.child.stdout!.pipe(sender.child.stdin!);
    await writer.result;
    // A sender that did not stop at 200 unread frames would end its stream within this.
    await sleep(1500);
    assert.equal(sender.child.exitCode, null, 'the sender waits for a reader');
    const received = await sky.run(['recv', 'trickle']);
    const sent = await sender.result;
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), Array.from({ length: lines }, (_, n) => `log line ${n}\n`).join(''));
  });
}
