// What a receiver shows on a terminal, on a clock the test moves: the waiting line replaced once
// data flows, the progress line, the summary, and the rounding of every number in them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, formatRate } from '../src/cli/byte-units.js';
import { ReceiveDisplay } from '../src/cli/receive-display.js';

/** The terminal's last screen line after `text`: each \r starts it again, \x1b[K clears it. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  for (const part of text.split(/(\r|\n|\x1b\[K)/)) {
    if (part === '\r' || part === '\x1b[K') lines[lines.length - 1] = part === '\r' ? '' : lines.at(-1)!;
    else if (part === '\n') lines.push('');
    else lines[lines.length - 1] += part;
  }
  return lines;
}

function display() {
  let now = 1_000_000;
  let shown = '';
  const view = new ReceiveDisplay(
    (text) => (shown += text),
    1000,
    () => now,
  );
  return { view, shown: () => shown, advance: (ms: number) => (now += ms) };
}

describe('the receiver display', () => {
  it('rounds rates to 3 significant digits and durations to what a person reads', () => {
    assert.equal(formatRate(6.343010490363503), '6.34 B/s');
    assert.equal(formatRate(2_000_000), '1.91 MiB/s');
    assert.equal(formatRate(1023.9), '1020 B/s');
    assert.equal(formatRate(0), '0 B/s');
    assert.equal(formatDuration(12.4), '12 ms');
    assert.equal(formatDuration(3456), '3.5 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatDuration(3_725_000), '1 h 2 min');
  });

  it('replaces the waiting line with progress, with percent and time left for a stream of known size', () => {
    const { view, shown, advance } = display();
    view.waiting("waiting on pipe 'files'");
    assert.deepEqual(screen(shown()), ["skypipe: waiting on pipe 'files'"]);
    view.sized('a', 4 * 1024 * 1024);
    view.written('a', 1024 * 1024, 1024 * 1024);
    assert.deepEqual(screen(shown()), ['skypipe: received 1.0 MiB of 4.0 MiB (25%)']);
    advance(2000);
    view.written('a', 2 * 1024 * 1024, 1024 * 1024);
    assert.deepEqual(screen(shown()), ['skypipe: received 2.0 MiB of 4.0 MiB (50%) at 1 MiB/s, 2.0 s left']);
    advance(2000);
    view.written('a', 4 * 1024 * 1024, 2 * 1024 * 1024);
    view.completed('a', true);
    view.finish();
    view.close();
    assert.deepEqual(screen(shown()), ['skypipe: received 4.0 MiB in 4.0 s (1 MiB/s), checked', '']);
  });

  it('shows no percent for a stream of unknown size, and no "checked" for one it could not check', () => {
    const { view, shown, advance } = display();
    view.written('b', 100, 100);
    advance(3000);
    view.written('b', 119, 19);
    assert.deepEqual(screen(shown()), ['skypipe: received 119 B at 39.7 B/s']);
    view.completed('b', false);
    view.finish();
    assert.deepEqual(screen(shown()), ['skypipe: received 119 B in 3.0 s (39.7 B/s)', '']);
  });

  it('puts notes above the progress line, and says where the rest is when interrupted', () => {
    const { view, shown, advance } = display();
    view.written('c', 2048, 2048);
    advance(1000);
    view.note('connection to the broker interrupted; reconnecting');
    view.interrupted();
    view.close();
    assert.deepEqual(screen(shown()), [
      'skypipe: connection to the broker interrupted; reconnecting',
      'skypipe: interrupted after writing 2.0 KiB; what was not written stays in the pipe',
      '',
    ]);
  });
});
