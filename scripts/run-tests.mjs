// npm test: runs the test files with node's test runner, two files at a time, after starting the
// other brokers the core suite and the in-process scenarios run on (Mosquitto, NATS, RabbitMQ) on
// loopback ports of their own, when installed. Files share nothing but these brokers, where each
// uses topics of its own; the fault suites start private instances. Under CI a broker that is
// missing or does not start fails the run.
// The broker recipes are shared with the fault suite, so this runs after the tests are built.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTERNAL_KINDS, ExternalBroker, installed } from '../build/test/external-brokers.js';

const ci = process.env.CI === 'true';
const work = mkdtempSync(join(tmpdir(), 'skypipe-brokers-'));
chmodSync(work, 0o755);
const started = [];

async function startBrokers() {
  const problems = [];
  for (const kind of EXTERNAL_KINDS) {
    const binary = installed(kind);
    if (binary === null) {
      problems.push(`${kind} is not installed`);
      continue;
    }
    const broker = new ExternalBroker(kind, binary, join(work, kind), { base: 'stock' });
    try {
      await broker.start();
      started.push(broker);
      process.env[`SKYPIPE_TEST_${kind.toUpperCase()}_URL`] = broker.url;
      console.log(`# ${kind} listens on 127.0.0.1:${broker.port}`);
    } catch (error) {
      problems.push(error.message);
    }
  }
  return problems;
}

/**
 * Keeps the report of each failed test from the TAP stream, to print them again at the end: a long
 * run's log is often read from its tail.
 */
class FailureLog {
  partial = '';
  open = null;
  reports = [];

  read(text) {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop();
    for (const line of lines) {
      if (this.open !== null) {
        this.open.push(line);
        if (line.trim() === '...') {
          this.reports.push(this.open);
          this.open = null;
        }
      } else if (/^\s*not ok \d+ /.test(line) && !/# (TODO|SKIP)/.test(line)) this.open = [line];
    }
  }

  report() {
    if (this.reports.length === 0) return;
    console.log(`# ${this.reports.length} failed, again:`);
    for (const report of this.reports) for (const line of report) console.log(`# ${line}`);
  }
}

function stopBrokers() {
  for (const broker of started) broker.stop();
}

const problems = await startBrokers();
for (const problem of problems) console.error(`WARNING: ${problem}`);
if (ci && problems.length > 0) {
  stopBrokers();
  console.error('CI runs the core suite on every broker; install them (see .ci/run)');
  process.exit(1);
}
// Extra arguments go to node's test runner (a name pattern, some of the files); by default every file.
const extra = process.argv.slice(2);
/** Files that measure how fast the broker serves a load against a bound: they run last, on their own. */
const ALONE = ['fleet-restart.test.js'];
const allFiles = extra.some((arg) => arg.endsWith('.js'))
  ? []
  : readdirSync('build/test', { recursive: true })
      .filter((file) => file.endsWith('.test.js'))
      .map((file) => join('build/test', file));
const alone = (file) => ALONE.some((name) => file.endsWith(name));
/**
 * A file that has not ended after this fails, and its process is killed: a hang (a test whose
 * clean-up never ends) must cost the run minutes, not all of its time. The longest file takes
 * about five minutes on two cores.
 */
const FILE_TIMEOUT_MS = 15 * 60_000;
const failures = new FailureLog();

/** Runs node's test runner on `files` (it takes them in order of their paths), `concurrency` at a time; resolves with its exit status. */
async function runFiles(files, concurrency) {
  // On a terminal node's own reporter lists the failures at the end; elsewhere it writes TAP.
  const run = spawn(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${concurrency}`,
      `--test-timeout=${FILE_TIMEOUT_MS}`,
      // A file whose tests are done ends, even if a failed test left a connection open.
      '--test-force-exit',
      ...extra,
      ...files,
    ],
    {
      stdio: ['ignore', process.stdout.isTTY ? 'inherit' : 'pipe', 'inherit'],
    },
  );
  run.stdout?.on('data', (chunk) => {
    process.stdout.write(chunk);
    failures.read(chunk.toString());
  });
  return new Promise((resolve) => run.on('close', (status) => resolve(status ?? 1)));
}

const together = await runFiles(
  allFiles.filter((file) => !alone(file)),
  2,
);
const lastAlone = allFiles.some(alone) ? await runFiles(allFiles.filter(alone), 1) : 0;
const code = together !== 0 ? together : lastAlone;
failures.report();
stopBrokers();
await new Promise((resolve) => setTimeout(resolve, 1000));
rmSync(work, { recursive: true, force: true });
process.exit(code);
