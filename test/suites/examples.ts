// Every example of the original skypipe's description, run as real processes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { assertSameBytes, type Sky, sleep, until } from '../harness.js';
import { killGroup } from '../process-groups.js';
import type { TestFn } from '../brokers.js';

/** Whether a `tail -f` of `log` runs. */
function following(log: string): boolean {
  const commands = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n');
  return commands.some((command) => command === `tail -f ${log}`);
}

export function originalExamples(sky: Sky, test: TestFn): void {
  test('skypipe | gzip -9 -c > out.gz, then cat file | skypipe', async () => {
    const file = join(sky.dir, 'file');
    const data = randomBytes(300_000);
    writeFileSync(file, data);
    const receiver = sky.shell(`$SKYPIPE | gzip -9 -c > ${sky.dir}/out.gz`, { input: 'null' });
    await sky.consumerAttached('');
    const sender = await sky.shell(`cat ${file} | $SKYPIPE`).result;
    assert.equal(sender.code, 0, sender.stderr);
    const received = await receiver.result;
    assert.equal(received.code, 0, received.stderr);
    assertSameBytes(gunzipSync(readFileSync(join(sky.dir, 'out.gz'))), data, 'out.gz, unpacked');
  });

  test('files stay in the pipe and come out in order', async () => {
    const a = randomBytes(2_500_000);
    const b = Buffer.from('second file\n');
    writeFileSync(join(sky.dir, 'file_a'), a);
    writeFileSync(join(sky.dir, 'file_b'), b);
    for (const name of ['file_a', 'file_b']) {
      const sent = await sky.shell(`cat ${sky.dir}/${name} | $SKYPIPE files`).result;
      assert.equal(sent.code, 0, sent.stderr);
    }
    for (const name of ['file_a', 'file_b']) {
      const got = await sky.shell(`$SKYPIPE files > ${sky.dir}/new_${name}`, { input: 'null' }).result;
      assert.equal(got.code, 0, got.stderr);
    }
    assertSameBytes(readFileSync(join(sky.dir, 'new_file_a')), a, 'the first file received');
    assertSameBytes(readFileSync(join(sky.dir, 'new_file_b')), b, 'the second file received');
  });

  for (const order of ['waiter first', 'trigger first'] as const) {
    test(`trigger: ${order}`, async () => {
      const script = `echo "I'm going to wait until triggered"; $SKYPIPE trigger; echo "I was triggered!"`;
      let waiter;
      if (order === 'waiter first') {
        waiter = sky.shell(script, { input: 'null' });
        await sky.consumerAttached('trigger');
        assert.equal(waiter.child.exitCode, null, 'the waiter must block until triggered');
      }
      const trigger = await sky.shell('echo | $SKYPIPE trigger').result;
      assert.equal(trigger.code, 0, trigger.stderr);
      waiter ??= sky.shell(script, { input: 'null' });
      const waited = await waiter.result;
      assert.equal(waited.code, 0, waited.stderr);
      assert.equal(waited.stdout.toString(), "I'm going to wait until triggered\n\nI was triggered!\n");
    });
  }

  test('tail -f on several hosts into one aggregate, with a listener listening in', async () => {
    const logs = [0, 1, 2].map((host) => join(sky.dir, `somefile${host}`));
    for (const log of logs) writeFileSync(log, '');
    const aggregate = join(sky.dir, 'aggregate');
    const receiver = sky.shell(`$SKYPIPE logs > ${aggregate}`, { input: 'null' });
    await sky.consumerAttached('logs');
    const senders = logs.map((log) => sky.shell(`tail -f ${log} | $SKYPIPE logs`));
    // What is appended before tail starts would come out only in its first ten lines.
    await until(() => logs.every(following), 'tail -f to follow each log');
    // On a terminal (script(1)) the listener says when it listens in; what it receives goes to a file.
    const listened = join(sky.dir, 'listened');
    const listener = sky.shell(`script -qfec "$SKYPIPE logs > ${listened}" /dev/null`, { input: 'pipe' });
    await until(() => listener.output().toString().includes('listening in on'), 'the listener to listen in', 20_000, [
      listener,
    ]);
    const expected: string[] = [];
    for (let round = 0; round < 20; round++) {
      logs.forEach((log, host) => {
        const line = `host ${host} line ${round}`;
        appendFileSync(log, line + '\n');
        expected.push(line);
      });
      await sleep(20); // lines spread out over time, as logs grow
    }
    const lines = (path: string) =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '');
    await until(() => lines(aggregate).length >= expected.length, 'every line in the aggregate');
    assert.deepEqual(lines(aggregate).sort(), [...expected].sort());
    await until(() => lines(listened).length >= expected.length, 'every line at the listener');
    assert.deepEqual(lines(listened).sort(), [...expected].sort());
    // The listener ends with its terminal (SIGHUP); each pipeline with its group (tail too).
    for (const running of [receiver, listener, ...senders]) killGroup(running.child, 'SIGTERM');
    await Promise.all([receiver, listener, ...senders].map((running) => running.result));
  });
}
