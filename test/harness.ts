import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { endsWithThisProcess, killGroup } from './process-groups.js';

/** The built command, as users run it. */
export const SKYPIPE = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../dist/skypipe.mjs');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Bytes for stdin; 'null' connects /dev/null; 'pipe' leaves it open for the caller. */
  input?: Buffer | string | 'null' | 'pipe';
  cwd?: string;
}

export interface Running {
  child: ChildProcess;
  result: Promise<Result>;
  /** stdout so far. */
  output(): Buffer;
  stderrSoFar(): string;
}

export const SLOW_READER = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'slow-reader.js');
export const LINE_WRITER = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'line-writer.js');
/** A preload that moves a process's wall clock by SKYPIPE_TEST_CLOCK_OFFSET_MS. */
export const CLOCK_OFFSET = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'clock-offset.js');
export const CHUNKED_WRITER = resolve(
  import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  'chunked-writer.js',
);

/** A private world for a test: its own state directory (so its own local broker). */
export class Sky {
  readonly dir = mkdtempSync(join(tmpdir(), 'skypipe-test-'));
  readonly env: NodeJS.ProcessEnv;

  /**
   * With `url`, every command uses that broker, under a topic prefix of this sky's own so that runs
   * sharing a broker never meet; without, the sky's own local broker.
   */
  constructor(url?: string) {
    // Its own configuration too: a profile saved on the machine running the tests must not be used.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_STATE_HOME: join(this.dir, 'state'),
      XDG_CONFIG_HOME: join(this.dir, 'config'),
    };
    delete env.SKYPIPE_URL;
    delete env.SKYPIPE_PROFILE;
    delete env.SKYPIPE_TOPIC_PREFIX;
    if (url !== undefined) {
      env.SKYPIPE_URL = url;
      env.SKYPIPE_TOPIC_PREFIX = `test/${this.dir.split('-').pop()}`;
    }
    this.env = env;
  }

  /** Processes started here: close() kills those a failed test left running, so the test file can end. */
  private readonly started: Running[] = [];

  start(args: string[], options: RunOptions = {}): Running {
    return this.track(
      startProcess(process.execPath, [SKYPIPE, ...args], { ...options, env: { ...this.env, ...options.env } }),
    );
  }

  run(args: string[], options: RunOptions = {}): Promise<Result> {
    return this.start(args, options).result;
  }

  /** Runs a shell line with `skypipe` on the PATH-free form: "$SKYPIPE" expands to the command. */
  shell(line: string, options: RunOptions = {}): Running {
    return this.track(
      startProcess('/bin/sh', ['-c', line], {
        ...options,
        env: { ...this.env, SKYPIPE: `${process.execPath} ${SKYPIPE}`, ...options.env },
      }),
    );
  }

  private track(running: Running): Running {
    this.started.push(running);
    void running.result.then(() => this.started.splice(this.started.indexOf(running), 1));
    return running;
  }

  async close(): Promise<void> {
    for (const { child } of this.started) killGroup(child, 'SIGKILL');
    await this.run(['broker', 'stop']);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The broker this sky's commands use: SKYPIPE_URL, or its local broker once one runs. */
  async brokerUrl(): Promise<string> {
    if (this.env.SKYPIPE_URL !== undefined) return this.env.SKYPIPE_URL;
    let url: string | undefined;
    await until(async () => {
      const status = await this.run(['broker', 'status']);
      url = /, at (mqtt:\/\/\S+)/.exec(status.stdout.toString())?.[1];
      return url !== undefined;
    }, 'the local broker to run');
    return url!;
  }

  /** Waits until a receiver consumes pipe `name` of this sky (see consumerAttached()). */
  async consumerAttached(name: string): Promise<void> {
    const { topicRoot } = await import('../src/protocol/topics.js');
    const root = topicRoot(this.env.SKYPIPE_TOPIC_PREFIX);
    await consumerAttached(await this.brokerUrl(), name, root ?? undefined);
  }
}

export function startProcess(command: string, args: string[], options: RunOptions): Running {
  const input = options.input;
  // A group of its own, so that killGroup() reaches everything it starts.
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: [input === 'null' || input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  endsWithThisProcess(child);
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined && input !== 'null' && input !== 'pipe') {
    child.stdin!.on('error', () => {});
    child.stdin!.end(input);
  }
  const result = new Promise<Result>((resolveResult) => {
    child.on('close', (code, signal) => {
      resolveResult({ code, signal, stdout: Buffer.concat(stdout), stderr });
    });
  });
  return { child, result, output: () => Buffer.concat(stdout), stderrSoFar: () => stderr };
}

/** Compares byte streams; on a difference, says where in one line instead of printing megabytes. */
export function assertSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  assert.fail(
    `${what}: ${actual.length} bytes where ${expected.length} were expected, the first difference at byte ${at}`,
  );
}

export const sleep = (ms: number) => new Promise<void>((resolveSleep) => setTimeout(resolveSleep, ms));

/** Waits until `check` holds; a timeout says what it waited for, and what the `watched` processes said on stderr. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
  watched: Running[] = [],
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const said = watched.map(
        ({ child, stderrSoFar }) =>
          `${child.spawnargs.slice(2).join(' ')} (exit ${child.exitCode ?? child.signalCode ?? 'not yet'}): ${JSON.stringify(stderrSoFar())}`,
      );
      throw new Error([`timed out waiting for ${what}`, ...said].join('; '));
    }
    await sleep(25);
  }
}

/** A free TCP port on 127.0.0.1 (free when asked; a test binds it right after). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A broker run as `skypipe broker` in the foreground, that a test can kill and start again. */
export class ForegroundBroker {
  running: Running | null = null;
  /** Chosen at the first start, kept for restarts. */
  port = 0;

  /**
   * `extraArgs`: more listeners, certificates; the plain listener stays, for the tests' own clients.
   * `dataDir` null: the data is elsewhere (Redis).
   */
  constructor(
    private readonly sky: Sky,
    readonly dataDir: string | null = join(sky.dir, 'broker-data'),
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const data = this.dataDir === null ? [] : ['--data-dir', this.dataDir];
    this.running = this.sky.start(['broker', '--port', String(this.port), ...data, ...this.extraArgs]);
    const running = this.running;
    await until(
      () => running.stderrSoFar().includes('listening') || running.child.exitCode !== null,
      'the broker to listen',
    );
    if (running.child.exitCode !== null) throw new Error(`broker failed: ${running.stderrSoFar()}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Result> {
    const running = this.running!;
    running.child.kill(signal);
    this.running = null;
    return running.result;
  }

  /** Resident memory of the broker process, in bytes (Linux). */
  rss(): number {
    const pid = this.running?.child.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }
}

/** For a describe block: a private sky for its tests, closed after them. */
export function skyForSuite(url?: string): Sky {
  const sky = new Sky(url);
  after(() => sky.close());
  return sky;
}

/** For a describe block: a private sky and a foreground broker, started before its tests. */
export function skyWithBroker(): { sky: Sky; broker: ForegroundBroker } {
  const sky = new Sky();
  const broker = new ForegroundBroker(sky);
  before(() => broker.start());
  after(async () => {
    if (broker.running) await broker.kill('SIGTERM');
    await sky.close();
  });
  return { sky, broker };
}

/**
 * Waits until a receiver consumes `name` on the broker at `url`: its retained presence record is
 * set. Data published before that goes nowhere when the pipe has no mailbox yet.
 */
export async function consumerAttached(url: string, name: string, root?: string): Promise<void> {
  const { default: mqtt } = await import('mqtt');
  const { pipeTopics } = await import('../src/protocol/topics.js');
  const topic = pipeTopics(name, root).presence;
  const watcher = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  try {
    let present = false;
    watcher.on('message', (_topic, payload) => (present = payload.length > 0));
    await watcher.subscribeAsync(topic, { qos: 1 });
    await until(() => present, `a receiver consuming '${name}'`);
  } finally {
    await watcher.endAsync();
  }
}
