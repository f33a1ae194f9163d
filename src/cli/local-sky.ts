import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { stateDir } from './state-dir.js';

/**
 * The local sky: the broker skypipe starts by itself when no broker is configured. It runs
 * detached, listens on 127.0.0.1 only, keeps its data under the state directory and writes its
 * address to local-broker.json there, where later commands find it.
 */
export interface LocalSkyRecord {
  pid: number;
  host: string;
  port: number;
  dataDir: string;
  startedAt: string;
  /** Set by a broker run with --local-clients (see local-clients.ts) rather than started by skypipe itself. */
  served?: { key: string | null; user: string | null };
}

const START_TIMEOUT_MS = 10_000;

export function localSkyPaths(dir = stateDir()) {
  return {
    dir,
    record: join(dir, 'local-broker.json'),
    lock: join(dir, 'local-broker.lock'),
    log: join(dir, 'local-broker.log'),
    dataDir: join(dir, 'local-broker-data'),
  };
}

export function readLocalSkyRecord(): LocalSkyRecord | null {
  try {
    const record = JSON.parse(readFileSync(localSkyPaths().record, 'utf8')) as LocalSkyRecord;
    return typeof record.port === 'number' && typeof record.pid === 'number' ? record : null;
  } catch {
    return null;
  }
}

/** Written by the broker process itself once it listens. */
export function writeLocalSkyRecord(record: LocalSkyRecord): void {
  const paths = localSkyPaths();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const temporary = `${paths.record}.${process.pid}`;
  writeFileSync(temporary, JSON.stringify(record) + '\n', { mode: 0o600 });
  renameSync(temporary, paths.record);
}

export function removeLocalSkyRecord(pid: number): void {
  if (readLocalSkyRecord()?.pid === pid) rmSync(localSkyPaths().record, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The running local sky, if its record names a live process that answers. */
export async function runningLocalSky(): Promise<LocalSkyRecord | null> {
  const record = readLocalSkyRecord();
  if (record === null || !isAlive(record.pid)) return null;
  return (await answers(record.host, record.port)) ? record : null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the start lock (a file created exclusively, holding our pid). A lock left by a dead
 * process is taken over. Returns a release function, or null while another live process holds it.
 */
function tryLock(path: string): (() => void) | null {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return () => rmSync(path, { force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder: number;
  try {
    holder = Number(readFileSync(path, 'utf8'));
    // Empty: its creator is writing its pid now (unless it died doing so, long ago).
    if (!(Number.isInteger(holder) && holder > 0) && Date.now() - statSync(path).mtimeMs < 5000) return null;
  } catch {
    return null; // released meanwhile: try again later
  }
  if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return null;
  // A stale lock; remove it only if it is still the same one.
  const stale = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, stale);
    rmSync(stale, { force: true });
  } catch {
    return null;
  }
  return tryLock(path);
}

/**
 * Finds the local sky, starting it if none runs. Two commands starting at once start one broker:
 * the start lock lets one of them spawn it while the other waits for its record.
 * `command` is how to run skypipe itself (node and the script).
 */
export async function ensureLocalSky(command: string[]): Promise<LocalSkyRecord> {
  const paths = localSkyPaths();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const running = await runningLocalSky();
    if (running) return running;
    const release = tryLock(paths.lock);
    if (release === null) {
      await sleep(50);
      continue;
    }
    try {
      const again = await runningLocalSky();
      if (again) return again;
      const child = spawnLocalSky(command, paths.log);
      while (Date.now() < deadline && isAlive(child)) {
        const started = await runningLocalSky();
        if (started) return started;
        await sleep(50);
      }
      if (!isAlive(child)) throw new Error(`the local broker failed to start: ${lastLine(paths.log)}`);
    } finally {
      release();
    }
  }
  throw new Error(
    `the local broker did not start within ${START_TIMEOUT_MS / 1000} s; see ${paths.log}, or point skypipe at a broker with --url`,
  );
}

function lastLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return (lines[lines.length - 1] ?? '').replace(/^skypipe: /, '') || `see ${path}`;
  } catch {
    return `see ${path}`;
  }
}

/**
 * glibc gives each thread that allocates an arena of its own, and keeps what is freed there: the
 * store's threads, writing 1 MiB frames, left a broker 10 to 50 MiB larger after 1 GiB through it
 * than with two arenas, at the same speed. The image sets the same.
 */
export const BROKER_MALLOC_ARENAS = '2';

function spawnLocalSky(command: string[], logPath: string): number {
  const log = openSync(logPath, 'a', 0o600);
  const [executable, ...args] = command;
  const child = spawn(executable!, [...args, 'broker', '--local-sky'], {
    detached: true,
    stdio: ['ignore', log, log],
    cwd: '/',
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? BROKER_MALLOC_ARENAS },
  });
  closeSync(log);
  child.unref();
  return child.pid!;
}

/** Stops the local sky; false if none was running. */
export async function stopLocalSky(): Promise<boolean> {
  const record = readLocalSkyRecord();
  if (record === null || !isAlive(record.pid)) return false;
  process.kill(record.pid, 'SIGTERM');
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (isAlive(record.pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
  removeLocalSkyRecord(record.pid);
  return true;
}
