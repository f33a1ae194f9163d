import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PipeError } from '../../protocol/errors.js';

/** A Docker Engine API endpoint, resolved as the docker CLI does it. */
export interface EngineTarget {
  /** The endpoint as a URL: unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]. */
  url: string;
  /** Where it came from, for messages. */
  origin: string;
  /** The host clients reach the broker at: the engine's host, localhost for a local socket. */
  host: string;
  /** A docker context's TLS files (ca.pem, cert.pem, key.pem), when it has them: the engine speaks TLS. */
  tlsDir?: string;
}

const DEFAULT_SOCKET = 'unix:///var/run/docker.sock';

/** The docker CLI's configuration directory. */
const dockerConfigDir = (): string => process.env.DOCKER_CONFIG || join(homedir(), '.docker');

/** A docker context's endpoint, from the CLI's context store (meta.json under the hash of its name). */
function contextEndpoint(name: string, origin: string): string {
  if (name === 'default') return DEFAULT_SOCKET;
  const meta = join(contextStore(name, 'meta'), 'meta.json');
  let host: unknown;
  try {
    host = (JSON.parse(readFileSync(meta, 'utf8')) as { Endpoints?: { docker?: { Host?: unknown } } }).Endpoints?.docker
      ?.Host;
  } catch {
    throw new PipeError(`${origin}: no docker context '${name}'; 'docker context ls' lists them`, 'usage');
  }
  if (typeof host !== 'string') throw new PipeError(`${origin}: docker context '${name}' has no engine`, 'usage');
  return host;
}

/** Where the docker CLI keeps a context's metadata ('meta') or its TLS files ('tls'). */
const contextStore = (name: string, kind: 'meta' | 'tls'): string =>
  join(dockerConfigDir(), 'contexts', kind, createHash('sha256').update(name).digest('hex'));

/** A context's TLS files for its engine, if it keeps any. */
function contextTlsDir(name: string): string | undefined {
  const dir = join(contextStore(name, 'tls'), 'docker');
  return name !== 'default' && existsSync(dir) ? dir : undefined;
}

/** The current context the docker CLI uses: DOCKER_CONTEXT, else the one its config names. */
function currentContext(): { name: string; origin: string } | null {
  if (process.env.DOCKER_CONTEXT) return { name: process.env.DOCKER_CONTEXT, origin: 'DOCKER_CONTEXT' };
  const config = join(dockerConfigDir(), 'config.json');
  if (!existsSync(config)) return null;
  try {
    const name = (JSON.parse(readFileSync(config, 'utf8')) as { currentContext?: unknown }).currentContext;
    return typeof name === 'string' && name !== '' ? { name, origin: `the current docker context (${config})` } : null;
  } catch {
    return null;
  }
}

/** The host name in an engine URL: the SSH or TCP host, localhost for a socket. */
export function hostOf(url: string, origin: string): string {
  if (url.startsWith('unix://') || url.startsWith('npipe://')) return 'localhost';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PipeError(
      `${origin}: '${url}' is not an engine URL (ssh://USER@HOST, tcp://HOST:PORT, unix://PATH)`,
      'usage',
    );
  }
  if (!['ssh:', 'tcp:', 'http:', 'https:'].includes(parsed.protocol) || parsed.hostname === '')
    throw new PipeError(
      `${origin}: '${url}' is not an engine URL (ssh://USER@HOST, tcp://HOST:PORT, unix://PATH)`,
      'usage',
    );
  return parsed.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The engine to deploy to: TARGET, else --context, else DOCKER_HOST, else the current docker
 * context, else the local socket; `hostFlag` (--host) overrides the host clients reach.
 */
export function resolveEngineTarget(
  target: string | undefined,
  context: string | undefined,
  hostFlag: string | undefined,
): EngineTarget {
  let url: string;
  let origin: string;
  let contextName: string | undefined;
  if (target !== undefined && context !== undefined)
    throw new PipeError('give a TARGET or --context, not both', 'usage');
  if (target !== undefined) [url, origin] = [target, 'TARGET'];
  else if (context !== undefined)
    [url, origin, contextName] = [contextEndpoint(context, '--context'), `docker context '${context}'`, context];
  else if (process.env.DOCKER_HOST) [url, origin] = [process.env.DOCKER_HOST, 'DOCKER_HOST'];
  else {
    const current = currentContext();
    if (current === null) [url, origin] = [DEFAULT_SOCKET, 'the local engine'];
    else
      [url, origin, contextName] = [
        contextEndpoint(current.name, current.origin),
        `docker context '${current.name}'`,
        current.name,
      ];
  }
  const host = hostFlag ?? hostOf(url, origin);
  checkHost(host, hostFlag !== undefined ? '--host' : origin);
  const tlsDir = contextName === undefined ? undefined : contextTlsDir(contextName);
  return { url, origin, host, ...(tlsDir !== undefined ? { tlsDir } : {}) };
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * A usage error unless `host` is a host name or an IP address: it goes into the certificate and
 * into the printed `skypipe login '…'` line, where a quote or a space would break the command.
 */
function checkHost(host: string, origin: string): void {
  if (isIP(host) === 0 && (host.length > 253 || !HOST_NAME.test(host)))
    throw new PipeError(
      `${origin}: '${host}' is not a host name (letters, digits, '-', '.') or an IP address`,
      'usage',
    );
}
