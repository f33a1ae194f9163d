// Real proxies for the proxy tests, from their distributions' packages: tinyproxy (HTTP CONNECT),
// stunnel in front of it (an https:// proxy) and Dante's danted (SOCKS5), on free loopback ports, each in a mount namespace of its own where
// /etc/hosts names the broker: the broker's host name resolves for the proxies and nowhere else.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, startProcess, until, type Running } from './harness.js';

/** The broker's name as clients give it; only the proxies can look it up. */
export const BROKER_HOST = 'broker.skypipe.test';

function binary(name: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'])
    if (existsSync(join(dir, name))) return join(dir, name);
  return null;
}

/** A mount namespace, as root or else as root of a user namespace of its own. */
const UNSHARE = process.getuid?.() === 0 ? ['-m'] : ['-r', '-m'];

/** Runs `command` with `hosts` as its /etc/hosts. */
export function withHosts(hosts: string, command: string[]): [string, string[]] {
  return ['unshare', [...UNSHARE, 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, ...command]];
}

/** Why the proxies cannot run here, or null when they can. */
export function missingProxies(dir: string): string | null {
  for (const name of ['tinyproxy', 'danted']) if (binary(name) === null) return `${name} is not installed`;
  if (binary('stunnel4') === null && binary('stunnel') === null) return 'stunnel is not installed';
  const hosts = writeHosts(dir);
  const [command, args] = withHosts(hosts, ['getent', 'hosts', BROKER_HOST]);
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot give a process a /etc/hosts of its own (unshare): ${probe.stderr.trim()}`;
  return null;
}

export function writeHosts(dir: string): string {
  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `127.0.0.1 localhost\n127.0.0.1 ${BROKER_HOST}\n`);
  return hosts;
}

export interface RunningProxy {
  port: number;
  process: Running;
}

async function startProxy(dir: string, name: string, command: (config: string) => string[], config: string) {
  const file = join(dir, `${name}.conf`);
  const port = await freePort();
  writeFileSync(file, config.replaceAll('PORT', String(port)));
  const [program, args] = withHosts(join(dir, 'hosts'), command(file));
  const running = startProcess(program, args, { env: process.env, input: 'null' });
  await until(() => accepts(port) || running.child.exitCode !== null, `${name} to listen`, 20_000, [running]);
  if (running.child.exitCode !== null) throw new Error(`${name} did not start: ${running.stderrSoFar()}`);
  return { port, process: running };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** tinyproxy answering CONNECT, with `rules` (ConnectPort, BasicAuth) added to its configuration. */
export function tinyproxy(dir: string, name: string, rules: string[] = []): Promise<RunningProxy> {
  const config = ['Port PORT', 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 50', ...rules, ''].join('\n');
  return startProxy(dir, name, (file) => [binary('tinyproxy')!, '-d', '-c', file], config);
}

/** danted for SOCKS5 without authentication, connecting anywhere from loopback. */
export function danted(dir: string, name: string): Promise<RunningProxy> {
  const config = [
    'logoutput: stderr',
    'internal: 127.0.0.1 port = PORT',
    'external: 127.0.0.1',
    'clientmethod: none',
    'socksmethod: none',
    'user.privileged: root',
    'user.unprivileged: nobody',
    'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
    'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }',
    '',
  ].join('\n');
  return startProxy(dir, name, (file) => [binary('danted')!, '-f', file], config);
}

/** stunnel taking TLS with `cert` and `key` in front of the HTTP proxy on `proxyPort`: an https:// proxy. */
export function stunnel(dir: string, name: string, proxyPort: number, cert: string, key: string) {
  const config = [
    'foreground = yes',
    'pid =',
    `[${name}]`,
    'accept = 127.0.0.1:PORT',
    `connect = 127.0.0.1:${proxyPort}`,
    `cert = ${cert}`,
    `key = ${key}`,
    '',
  ].join('\n');
  return startProxy(dir, name, (file) => [binary('stunnel4') ?? binary('stunnel')!, file], config);
}
