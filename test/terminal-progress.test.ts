// What each end shows on a terminal (script(1) gives it one): the receiver's progress and summary,
// the hint to a person typing the input, and what Ctrl-C leaves where.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { skyForSuite, until } from './harness.js';

/** The lines a terminal shows: each \r starts a line again, \x1b[K clears the rest of it. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  for (const part of text.replace(/\r\n/g, '\n').split(/(\r|\n|\x1b\[K)/)) {
    if (part === '\r') lines[lines.length - 1] = '';
    else if (part === '\n') lines.push('');
    else if (part !== '\x1b[K') lines[lines.length - 1] += part;
  }
  return lines.filter((line) => !line.startsWith('skypipe: started the local broker'));
}

const WAITING = (pipe: string) => `skypipe: waiting on pipe '${pipe}'`;
const SUMMARY = /^skypipe: received (\d+ B|[\d.]+ (KiB|MiB)) in [\d.]+ m?s( \([\d.]+ (B|KiB|MiB)\/s\))?, checked$/;

describe('on a terminal', () => {
  const sky = skyForSuite();
  const onTerminal = (line: string) => sky.shell(`script -qfec "${line}" /dev/null`, { input: 'pipe' });

  it('a receiver shows percent of a file it receives, replaces its waiting line, and sums up', async () => {
    const file = join(sky.dir, 'sized.bin');
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
    const receiver = onTerminal(`exec $SKYPIPE recv sized > ${sky.dir}/sized.out`);
    await until(() => receiver.output().toString().includes(WAITING('sized')), 'the waiting line');
    const sent = await sky.shell(`$SKYPIPE send sized < ${file}`).result;
    assert.equal(sent.code, 0, sent.stderr);
    const received = await receiver.result;
    assert.equal(received.code, 0);
    const shown = received.stdout.toString();
    assert.match(shown, /skypipe: received [\d.]+ (KiB|MiB) of 3\.0 MiB \(\d+%\)/);
    assert.deepEqual(screen(shown).length, 2, shown);
    assert.match(screen(shown)[0]!, SUMMARY);
    assert.equal(screen(shown)[1], '');
    assert.ok(readFileSync(`${sky.dir}/sized.out`).equals(readFileSync(file)));
  });

  it('a receiver shows no percent for piped input, and a piping sender no hint', async () => {
    const receiver = onTerminal(`exec $SKYPIPE recv piped > /dev/null`);
    await until(() => receiver.output().toString().includes(WAITING('piped')), 'the waiting line');
    const sender = await onTerminal(`printf 'a line\\n' | $SKYPIPE send piped`).result;
    assert.equal(sender.code, 0);
    assert.deepEqual(screen(sender.stdout.toString()), ['']);
    const received = await receiver.result;
    assert.equal(received.code, 0);
    const shown = received.stdout.toString();
    assert.doesNotMatch(shown, /%/);
    assert.deepEqual(screen(shown).slice(1), ['']);
    assert.match(screen(shown)[0]!, /^skypipe: received 7 B in [\d.]+ m?s( \([\d.]+ (B|KiB)\/s\))?, checked$/);
  });

  it('a sender of typed lines gives a hint, draws nothing over them, and sums up after Ctrl-D', async () => {
    const sender = onTerminal('exec $SKYPIPE send typed');
    const hint = 'skypipe: type lines to send; end with Ctrl-D (Ctrl-C stops and marks the stream incomplete)';
    await until(() => sender.output().toString().includes(hint), 'the hint');
    sender.child.stdin!.write('hello\n');
    await until(() => sender.output().toString().includes('hello'), 'the echo');
    sender.child.stdin!.write('\x04');
    const sent = await sender.result;
    assert.equal(sent.code, 0);
    const lines = screen(sent.stdout.toString());
    assert.deepEqual(lines.slice(0, 2), [hint, 'hello']);
    assert.match(lines[2]!, /^skypipe: sent 6 B in [\d.]+ m?s$/);
    assert.deepEqual(lines.slice(3), ['']);
    assert.equal((await sky.run(['recv', 'typed'])).stdout.toString(), 'hello\n');
  });

  it('says on Ctrl-C what was sent and that the stream is marked incomplete', async () => {
    const receiver = sky.start(['recv', 'cut']);
    await sky.consumerAttached('cut');
    const sender = onTerminal('exec $SKYPIPE send cut');
    await until(() => sender.output().toString().includes('Ctrl-D'), 'the hint');
    sender.child.stdin!.write('partial\n');
    await until(() => receiver.output().length > 0, 'the line at the receiver');
    sender.child.stdin!.write('\x03');
    const sent = await sender.result;
    assert.equal(sent.code, 130);
    assert.equal(
      // The terminal echoes Ctrl-C as ^C where the cursor was.
      screen(sent.stdout.toString()).at(-2)?.replace(/^\^C/, ''),
      'skypipe: interrupted after sending 8 B; the stream is marked incomplete',
    );
    const received = await receiver.result;
    assert.equal(received.code, 3);
    assert.equal(received.stdout.toString(), 'partial\n');
  });

  it('says on Ctrl-C what was written and that the rest stays in the pipe', async () => {
    const receiver = onTerminal(`exec $SKYPIPE recv kept > ${sky.dir}/kept.out`);
    await until(() => receiver.output().toString().includes(WAITING('kept')), 'the waiting line');
    const sender = sky.start(['send', 'kept'], { input: 'pipe' });
    sender.child.stdin!.write('first\n');
    await until(() => receiver.output().toString().includes('received 6 B'), 'the progress line');
    receiver.child.stdin!.write('\x03');
    const received = await receiver.result;
    assert.equal(received.code, 130);
    assert.deepEqual(screen(received.stdout.toString()), [
      'skypipe: interrupted after writing 6 B; what was not written stays in the pipe',
      '',
    ]);
    sender.child.stdin!.end('second\n');
    assert.equal((await sender.result).code, 0);
    // The next receiver goes on where this one stopped.
    const next = await sky.run(['recv', 'kept']);
    assert.equal(next.stdout.toString(), 'second\n');
  });
});
