// What a sender on a terminal says about a full pipe: once per real wait, and when it goes on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransferDisplay } from '../src/cli/transfer-display.js';
import { until } from './harness.js';

const FULL = "skypipe: pipe 'logs' is full (4.0 MiB not yet read); waiting for a receiver to read it\n";
const ROOM = "skypipe: pipe 'logs' has room again; sending\n";

describe('the sender display', () => {
  it('says nothing of a pipe full for an instant at each frame, once of a real wait, and when it goes on', async () => {
    let shown = '';
    const display = new TransferDisplay((text) => (shown += text), undefined, {
      showAfterMs: 60_000,
      redrawMs: 60_000,
      waitNoticeMs: 100,
    });
    const unread = 4 * 1024 * 1024;
    // A receiver reading at full speed: the pipe fills, and has room again at once, frame after frame.
    for (let frame = 0; frame < 200; frame += 1) {
      display.blocked(true, unread, "pipe 'logs'");
      display.blocked(false, unread, "pipe 'logs'");
    }
    // Then the receiver stops: the wait is said once, however often the sender is woken meanwhile.
    display.blocked(true, unread, "pipe 'logs'");
    await until(() => shown !== '', 'the wait to be said');
    for (let frame = 0; frame < 50; frame += 1) {
      display.blocked(false, unread, "pipe 'logs'");
      display.blocked(true, unread, "pipe 'logs'");
    }
    display.blocked(false, unread, "pipe 'logs'");
    await until(() => shown.length > FULL.length, 'the sender to say it goes on');
    display.finish();
    assert.equal(shown, FULL + ROOM);
  });

  it('says nothing of a wait the transfer ended in', async () => {
    const timings = { showAfterMs: 60_000, redrawMs: 60_000, waitNoticeMs: 20 };
    let shown = '';
    const ended = new TransferDisplay((text) => (shown += text), undefined, timings);
    ended.blocked(true, 4 * 1024 * 1024, "pipe 'logs'");
    ended.finish();
    // A display left waiting as long is the fence: by the time it speaks, the ended one would have.
    let fence = '';
    const waiting = new TransferDisplay((text) => (fence += text), undefined, timings);
    waiting.blocked(true, 4 * 1024 * 1024, "pipe 'logs'");
    await until(() => fence !== '', 'the fence to speak');
    waiting.finish();
    assert.equal(fence, FULL);
    assert.equal(shown, '');
  });
});
