// The command line: the local broker's life, mode by standard input, exit codes and signals.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { commandLike } from '../src/cli/command-typo.js';
import { ForegroundBroker, freePort, Sky, skyForSuite, until } from './harness.js';

/** Local broker processes of one sky (by its state directory in their environment). */
function localBrokers(sky: Sky): number[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('broker --local-sky'))
    .map((line) => Number(line.trim().split(' ')[0]))
    .filter((pid) => {
      try {
        return execFileSync('cat', [`/proc/${pid}/environ`], { encoding: 'latin1' }).includes(
          `XDG_STATE_HOME=${sky.env.XDG_STATE_HOME}\0`,
        );
      } catch {
        return false;
      }
    });
}

describe('the command line', () => {
  const sky = skyForSuite();

  it('starts one local broker when the first commands run at the same instant', async () => {
    const sends = [0, 1, 2, 3].map((n) => sky.run(['send', `first${n}`], { input: `${n}\n` }));
    for (const sent of await Promise.all(sends)) assert.equal(sent.code, 0, sent.stderr);
    assert.equal(localBrokers(sky).length, 1);
    const pid = /pid (\d+)/.exec((await sky.run(['broker', 'status'])).stdout.toString())![1];
    assert.ok(readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes('MALLOC_ARENA_MAX=2'));
    for (const n of [0, 1, 2, 3]) assert.equal((await sky.run(['recv', `first${n}`])).stdout.toString(), `${n}\n`);
  });

  it('takes a typo of a command for one on a terminal, and for a pipe name in scripts', async () => {
    const typed = await sky.shell(`script -qfec "$SKYPIPE sned" /dev/null`, { input: 'pipe' }).result;
    assert.equal(typed.code, 2);
    assert.equal(
      typed.stdout.toString(),
      "skypipe: 'sned' would be a pipe name here: did you mean 'skypipe send'? (for a pipe of that name, say 'skypipe send sned' or 'skypipe recv sned')\r\n",
    );
    assert.equal((await sky.run(['sned'], { input: 'in a script\n' })).code, 0);
    assert.equal((await sky.run(['recv', 'sned'])).stdout.toString(), 'in a script\n');
    for (const [name, meant] of [
      ['sned', 'send'],
      ['recieve', 'receive'],
      ['Status', 'status'],
      ['stauts', 'status'],
      ['deplyo', 'deploy'],
      ['logs', null],
      ['files', null],
      ['trigger', null],
      ['', null],
    ] as const)
      assert.equal(commandLike(name), meant, name);
  });

  it('refuses a pipe name too long for a topic with the limit, for send, recv and status', async () => {
    const refusal = 'skypipe: a pipe name is at most 1024 bytes (UTF-8); this one is 70000: use a shorter name\n';
    for (const args of [['send'], ['recv'], ['status']]) {
      const refused = await sky.run([...args, 'a'.repeat(70_000)], { input: 'hi\n' });
      assert.deepEqual([refused.code, refused.stderr.toString()], [2, refusal], args[0]);
    }
    const longest = 'é'.repeat(512);
    const sent = await sky.run(['send', longest], { input: 'fits\n' });
    assert.equal(sent.code, 0, sent.stderr.toString());
    assert.equal((await sky.run(['recv', longest])).stdout.toString(), 'fits\n');
  });

  it('refuses --url and credentials for broker status and stop, which act on this machine only', async () => {
    const stop = await sky.run(['broker', 'stop', '--url', 'mqtt://elsewhere:1883']);
    assert.deepEqual(
      [stop.code, stop.stderr.toString()],
      [2, "skypipe: 'skypipe broker stop' is about this machine's broker and takes no --url\n"],
    );
    const status = await sky.run(['broker', 'status', '--pin', 'AB:CD']);
    assert.deepEqual(
      [status.code, status.stderr.toString()],
      [
        2,
        "skypipe: 'skypipe broker status' is about this machine's broker and takes no --pin; for another broker, use 'skypipe status --url URL'\n",
      ],
    );
  });

  it('shows, stops and restarts the local broker, keeping what waits in pipes', async () => {
    const status = await sky.run(['broker', 'status']);
    assert.equal(status.code, 0);
    assert.match(
      status.stdout.toString(),
      /^local broker: running, pid \d+, at mqtt:\/\/127\.0\.0\.1:\d+\ndata: .*local-broker-data\nlog: .*local-broker\.log\ncommands use the local broker/,
    );
    await sky.run(['send', 'kept'], { input: 'waiting\n' });
    const stopped = await sky.run(['broker', 'stop']);
    assert.match(stopped.stdout.toString(), /^stopped the local broker \(pid \d+\)\n$/);
    assert.equal(localBrokers(sky).length, 0);
    assert.match(
      (await sky.run(['broker', 'status'])).stdout.toString(),
      /^local broker: not running; the next skypipe command starts it\n/,
    );
    const received = await sky.run(['recv', 'kept']);
    assert.equal(received.stdout.toString(), 'waiting\n');
    assert.equal(localBrokers(sky).length, 1);
  });

  it('starts the local broker again, on its port, when it dies under a live pipe', async () => {
    const receiver = sky.start(['recv', '-f', 'revived']);
    await sky.consumerAttached('revived');
    const sender = sky.start(['send', 'revived'], { input: 'pipe' });
    sender.child.stdin!.write('before\n');
    await until(() => receiver.output().toString() === 'before\n', 'the first line at the receiver');
    const [dead] = localBrokers(sky);
    const port = /, at mqtt:\/\/127\.0\.0\.1:(\d+)/.exec((await sky.run(['broker', 'status'])).stdout.toString())?.[1];
    process.kill(dead!, 'SIGKILL');
    await until(() => localBrokers(sky).length === 1 && localBrokers(sky)[0] !== dead, 'a new local broker');
    sender.child.stdin!.end('after\n');
    const sent = await sender.result;
    assert.deepEqual([sent.code, sent.stderr], [0, '']);
    await until(() => receiver.output().toString() === 'before\nafter\n', 'the second line at the receiver', 30_000, [
      receiver,
    ]);
    assert.match(
      (await sky.run(['broker', 'status'])).stdout.toString(),
      new RegExp(`^local broker: running, pid \\d+, at mqtt://127\\.0\\.0\\.1:${port}\n`),
    );
    receiver.child.kill('SIGINT');
    assert.equal((await receiver.result).code, 130);
  });

  it('receives, not sends, when standard input is /dev/null', async () => {
    const receiver = sky.start(['quiet-pipe'], { input: 'null' });
    await sky.consumerAttached('quiet-pipe');
    assert.equal(receiver.child.exitCode, null, 'still waiting for a sender');
    await sky.run(['send', 'quiet-pipe'], { input: 'hi\n' });
    const received = await receiver.result;
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'hi\n');
  });

  it('exits 130 on SIGINT without a word, and a receiver of the stream cut short exits 3 naming it', async () => {
    const receiver = sky.start(['recv', 'cut']);
    await sky.consumerAttached('cut');
    const sender = sky.start(['send', 'cut'], { input: 'pipe' });
    sender.child.stdin!.write('partial line\n');
    await until(() => receiver.output().length > 0, 'the first line at the receiver');
    sender.child.kill('SIGINT');
    const [sent, received] = [await sender.result, await receiver.result];
    assert.equal(sent.code, 130);
    assert.equal(sent.stderr, '');
    assert.equal(received.code, 3);
    assert.equal(received.stdout.toString(), 'partial line\n');
    assert.equal(
      received.stderr,
      'skypipe: the sender stopped before the end of its stream (interrupted) after 13 bytes; the output is incomplete\n',
    );
  });

  it('sends an empty stream when told to send from /dev/null', async () => {
    const sent = await sky.run(['send', 'empty'], { input: 'null' });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await sky.run(['recv', 'empty']);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.length, 0);
  });

  it('prints its version and help', async () => {
    const version = await sky.run(['--version']);
    assert.equal(version.code, 0);
    const { version: packaged } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    assert.equal(version.stdout.toString(), `${packaged}\n`);
    const help = await sky.run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /Exit codes: 0 done; 1 error; 2 usage; 3 a stream arrived incomplete/);
  });

  it('shows progress and waiting on a terminal, and nothing with -q', async () => {
    // script(1) gives the command a terminal for stderr; stdin stays a pipe for the sender.
    const receiver = sky.shell(`script -qfec "$SKYPIPE recv shown" /dev/null`, { input: 'pipe' });
    await until(() => receiver.output().toString().includes("skypipe: waiting on pipe 'shown'"), 'the waiting line');
    const slow = `${process.execPath} -e "let n=0;const t=setInterval(()=>{process.stdout.write(Buffer.alloc(65536,97));if(++n===30)clearInterval(t)},50)"`;
    const sender = await sky.shell(`script -qfec '${slow} | $SKYPIPE send shown' /dev/null`, { input: 'pipe' }).result;
    assert.equal(sender.code, 0);
    assert.match(sender.stdout.toString(), /skypipe: sent [\d.]+ (KiB|MiB) at [\d.]+ (KiB|MiB)\/s/);
    await receiver.result;
    const quiet = await sky.shell(`script -qfec '${slow} | $SKYPIPE send -q shown' /dev/null`, { input: 'pipe' })
      .result;
    assert.equal(quiet.code, 0);
    assert.doesNotMatch(quiet.stdout.toString(), /skypipe:/);
    const drained = await sky.run(['recv', 'shown']);
    assert.equal(drained.stdout.length, 30 * 65536);
  });

  it('with --reconnect-for, waits for a broker that is not up yet, and without it names it at once', async () => {
    const broker = new ForegroundBroker(sky);
    broker.port = await freePort();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const hasty = await sky.run(['send', 'early', '--url', url], { input: 'x\n' });
    assert.equal(hasty.code, 1);
    assert.match(hasty.stderr.toString(), new RegExp(`^skypipe: cannot reach broker ${url} \\(from --url\\): `));
    // A port that takes connections and drops them, as a host whose broker is still starting.
    let attempts = 0;
    const starting = createServer((socket) => void ((attempts += 1), socket.destroy()));
    await new Promise<void>((resolve) => starting.listen(broker.port, '127.0.0.1', resolve));
    const patient = sky.start(['send', 'early', '--url', url, '--reconnect-for', '30s'], { input: 'booted\n' });
    await until(() => attempts >= 2, 'the sender to try twice');
    await new Promise<void>((resolve) => starting.close(() => resolve()));
    await broker.start();
    try {
      assert.equal((await patient.result).code, 0, patient.stderrSoFar());
      assert.equal((await sky.run(['recv', 'early', '--url', url])).stdout.toString(), 'booted\n');
    } finally {
      await broker.kill('SIGTERM');
    }
  });
});
