// The broker's log: readable lines for a person at a terminal, JSON for everything else.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { textLine } from '../src/broker/log-format.js';
import { Sky, until } from './harness.js';
import { killGroup } from './process-groups.js';

const TIME = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}';

describe("the broker's log", () => {
  const sky = new Sky();
  after(() => sky.close());

  it('is text on a terminal, with the fields as name=value', async () => {
    const broker = sky.shell(`script -qfec "exec $SKYPIPE broker --port 0 --data-dir ${sky.dir}/data" /dev/null`, {
      input: 'pipe',
    });
    await until(() => broker.output().toString().includes('broker listening'), 'the broker to listen');
    // script passes the end on: it hangs the terminal up, and the broker stops on SIGHUP.
    killGroup(broker.child, 'SIGTERM');
    await broker.result;
    const first = broker.output().toString().split('\r\n')[0]!;
    assert.match(
      first,
      new RegExp(`^${TIME} info  listening listeners=\\["mqtt://127\\.0\\.0\\.1:\\d+"\\] storage=${sky.dir}/data$`),
    );
  });

  it('is JSON elsewhere, and as asked with --log-format', async () => {
    const piped = sky.start(['broker', '--port', '0', '--data-dir', `${sky.dir}/data`]);
    await until(() => piped.stderrSoFar().includes('broker listening'), 'the broker to listen');
    piped.child.kill('SIGTERM');
    const record = JSON.parse((await piped.result).stdout.toString().split('\n')[0]!) as Record<string, unknown>;
    assert.deepEqual([record.level, record.msg, record.name], [30, 'listening', 'skypipe-broker']);

    const wrong = await sky.run(['broker', '--port', '0', '--log-format', 'yaml']);
    assert.deepEqual([wrong.code, wrong.stderr], [2, "skypipe: --log-format: 'yaml' is not one of json, text\n"]);
  });

  it('quotes values with spaces, quotes or equals signs, and leaves a line that is not JSON alone', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 11, 3, 10, 0, 0, 5),
      pid: 7,
      name: 'skypipe-broker',
      msg: 'client error',
      client: 'alice:sender-1',
      reason: 'read ECONNRESET now',
      tries: 3,
    });
    assert.equal(
      textLine(line),
      '2026-12-03 10:00:00.005 warn  client error client=alice:sender-1 reason="read ECONNRESET now" tries=3\n',
    );
    assert.equal(textLine('not json\n'), 'not json\n');
  });
});
