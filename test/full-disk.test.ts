// A broker whose disk fills up, on a real one: a small tmpfs under its data. It stays up, refuses
// what it cannot store with a reason the sender prints in one line (exit 1), says so on /healthz and
// once in its log, keeps what it stored, and takes streams again once there is room, without a restart.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ForegroundBroker, freePort, SKYPIPE, Sky, until, type Result } from './harness.js';

const DISK_BYTES = 64 * 1024 * 1024;
/** Takes all of the disk but this much, which the stream below does not fit in. */
const ROOM_BYTES = 6 * 1024 * 1024;
const REFUSED =
  "skypipe: the broker refused more of this stream: the broker's disk is full; free space on it (the broker resumes by itself), then send again\n";
const FAILING_LOG = 'cannot store: refusing what it would have to store until the store takes writes again';
const RECOVERED_LOG = 'the store takes writes again';
const DROPPED_LOG = 'log lines could not be written (a full disk?) and were dropped';

/** Why tmpfs disks cannot be mounted here (not root, no mount), or null when they can. */
function cannotMount(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a small disk (tmpfs) needs root';
  const dir = mkdtempSync(join(tmpdir(), 'skypipe-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return `cannot mount a tmpfs: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A 64 MiB disk at `dir`, all but ROOM_BYTES of it taken by a file; returns that file, to free it. */
function smallDisk(dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = join(dir, 'filler');
  writeFileSync(filler, Buffer.alloc(DISK_BYTES - ROOM_BYTES));
  return filler;
}

const unmount = (dir: string) => execFileSync('umount', [dir], { stdio: 'pipe' });

/** 16 MiB of lines that do not compress (LevelDB compresses its tables). */
const bigInput = () =>
  (
    randomBytes(12 * 1024 * 1024)
      .toString('base64')
      .match(/.{1,99}/g) ?? []
  ).join('\n') + '\n';

const logLines = (stdout: Buffer, msg: string) =>
  stdout
    .toString()
    .split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`)).length;

/**
 * After the refusal: what the broker stored comes out as a prefix of the input, and the stream
 * ends incomplete once its sender is known gone (the Will the broker held until it could store it).
 */
function assertStoredPrefix(received: Result, input: string): void {
  assert.equal(received.code, 3, received.stderr);
  assert.match(
    received.stderr,
    /^skypipe: the sender lost its connection and has not come back for 3 s after [\d.]+ MiB of its stream; the output is incomplete\n$/,
  );
  assert.ok(received.stdout.length > 0, 'the broker stored the start of the stream');
  assert.ok(received.stdout.length < input.length);
  assert.ok(received.stdout.equals(Buffer.from(input).subarray(0, received.stdout.length)), 'a prefix, byte for byte');
}

const skipped = cannotMount();

describe('a full disk under the broker', { skip: skipped ?? false }, () => {
  it(
    'refuses the sender with the reason, stays up, and resumes when space returns',
    { timeout: 120_000 },
    async (t) => {
      const sky = new Sky();
      const disk = join(sky.dir, 'disk');
      const filler = smallDisk(disk);
      const httpPort = await freePort();
      const broker = new ForegroundBroker(sky, join(disk, 'data'), ['--http-port', String(httpPort)]);
      const healthz = async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
        return { status: response.status, text: await response.text() };
      };
      try {
        await broker.start();
        const input = bigInput();
        const started = Date.now();
        const sender = sky.start(['send', 'fill', '--url', broker.url], { input });
        // Bounded: a sender that is never told why reconnects for minutes.
        await until(() => sender.child.exitCode !== null, 'the sender to stop', 60_000, [sender, broker.running!]);
        const sent = await sender.result;
        t.diagnostic(`the sender stopped after ${Date.now() - started} ms, exit ${sent.code}`);
        assert.deepEqual([sent.code, sent.stderr], [1, REFUSED]);

        assert.equal(broker.running!.child.exitCode, null, 'the broker is up');
        assert.deepEqual(await healthz(), {
          status: 503,
          text: "cannot store: the broker's disk is full; free space on it (the broker resumes by itself), then send again\n",
        });
        assert.equal(logLines(broker.running!.output(), FAILING_LOG), 1, 'logged once');

        rmSync(filler);
        const freed = Date.now();
        await until(async () => (await healthz()).status === 200, 'the broker to take writes again', 20_000);
        t.diagnostic(`the broker took writes again ${Date.now() - freed} ms after the space was freed`);
        assert.equal(logLines(broker.running!.output(), RECOVERED_LOG), 1);

        const received = await sky.run(['recv', 'fill', '--url', broker.url, '--sender-timeout', '3']);
        t.diagnostic(
          `the broker had stored ${received.stdout.length} of ${input.length} bytes: ${received.stderr.trim()}`,
        );
        assertStoredPrefix(received, input);

        const again = await sky.run(['send', 'fill', '--url', broker.url], { input: 'after\n' });
        assert.deepEqual([again.code, again.stderr], [0, '']);
        const next = await sky.run(['recv', 'fill', '--url', broker.url]);
        assert.deepEqual([next.code, next.stdout.toString(), next.stderr], [0, 'after\n', '']);
        assert.equal(broker.running!.child.exitCode, null, 'the same broker process throughout');
      } finally {
        if (broker.running) await broker.kill('SIGTERM');
        unmount(disk);
        await sky.close();
      }
    },
  );

  it('does the same with the local broker skypipe starts by itself', { timeout: 120_000 }, async () => {
    const sky = new Sky();
    // The local broker keeps its data under the state directory.
    const state = join(sky.dir, 'state');
    const filler = smallDisk(state);
    try {
      const input = bigInput();
      const sender = sky.start(['send', 'fill'], { input });
      await until(() => sender.child.exitCode !== null, 'the sender to stop', 60_000, [sender]);
      const sent = await sender.result;
      assert.deepEqual([sent.code, sent.stderr], [1, REFUSED]);
      const status = await sky.run(['broker', 'status']);
      assert.equal(status.code, 0, status.stderr);

      rmSync(filler);
      // Receivers cannot attach while the store fails (it cannot record what they acknowledge): wait for it.
      const log = join(state, 'skypipe', 'local-broker.log');
      await until(() => logLines(readFileSync(log), RECOVERED_LOG) === 1, 'the broker to take writes again');
      // The log shares the full disk: the failure is in it once, or counted among the lines dropped.
      const logged = readFileSync(log);
      assert.ok(logLines(logged, FAILING_LOG) === 1 || logLines(logged, DROPPED_LOG) === 1, 'logged, or counted');
      assert.ok(logLines(logged, FAILING_LOG) <= 1, 'logged at most once');
      const received = await sky.run(['recv', 'fill', '--sender-timeout', '3']);
      assertStoredPrefix(received, input);
      const again = await sky.run(['send', 'fill'], { input: 'after\n' });
      assert.deepEqual([again.code, again.stderr], [0, '']);
      const next = await sky.run(['recv', 'fill']);
      assert.deepEqual([next.code, next.stdout.toString(), next.stderr], [0, 'after\n', '']);
    } finally {
      await sky.run(['broker', 'stop']);
      unmount(state);
      await sky.close();
    }
  });

  it('keeps serving when its log file is on a full disk, and says how many lines it dropped', async () => {
    const sky = new Sky();
    const disk = join(sky.dir, 'log-disk');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { stdio: 'pipe' });
    const logPath = join(disk, 'broker.log');
    const log = openSync(logPath, 'a');
    const filler = join(disk, 'filler');
    // Every byte of the disk: the next log line cannot be written.
    execFileSync('sh', ['-c', `cat /dev/zero > ${filler} 2>/dev/null || true`]);
    const port = await freePort();
    const args = ['broker', '--port', String(port), '--data-dir', join(sky.dir, 'data'), '--log-level', 'info'];
    const broker = spawn(process.execPath, [SKYPIPE, ...args], { stdio: ['ignore', log, 'pipe'] });
    closeSync(log);
    let stderr = '';
    broker.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = `mqtt://127.0.0.1:${port}`;
    try {
      await until(() => stderr.includes('listening') || broker.exitCode !== null, 'the broker to listen');
      const sent = await sky.run(['send', 'logged', '--url', url], { input: 'one\n' });
      assert.deepEqual([sent.code, sent.stderr], [0, '']);
      const received = await sky.run(['recv', 'logged', '--url', url]);
      assert.deepEqual([received.code, received.stdout.toString(), received.stderr], [0, 'one\n', '']);
      assert.equal(broker.exitCode, null, 'the broker is up');

      rmSync(filler);
      const again = await sky.run(['send', 'logged', '--url', url], { input: 'two\n' });
      assert.deepEqual([again.code, again.stderr], [0, '']);
      await until(() => logLines(readFileSync(logPath), DROPPED_LOG) === 1, 'the count of dropped lines in the log');
      assert.equal(broker.exitCode, null, 'the broker is up');
    } finally {
      broker.kill('SIGKILL');
      await once(broker, 'exit');
      unmount(disk);
      await sky.close();
    }
  });
});
