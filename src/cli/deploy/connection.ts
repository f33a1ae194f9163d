import type Dockerode from 'dockerode';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { hostnameOf } from '../../client/index.js';
import { PipeError } from '../../protocol/errors.js';
import { defaultPrivateKey, isKnownHostKey } from './ssh-trust.js';
import type { EngineTarget } from './target.js';

export interface Connection {
  options: Dockerode.DockerOptions;
  /** Whether the SSH server's host key was refused (the engine client reports only that the handshake failed). */
  refusedHostKey: () => boolean;
}

/**
 * Over SSH the engine client formats its request URLs in a way Node's url.parse warns about
 * (DEP0170) on every request; the warning is about the library, not the user's input.
 */
function quietUrlDeprecation(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((...args: unknown[]) => {
    if (args.includes('DEP0170')) return;
    emit(...args);
  }) as typeof process.emitWarning;
}

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/** The TLS files for the engine: a context's own, else DOCKER_CERT_PATH's, else ~/.docker's, as the docker CLI. */
function tlsFiles(target: EngineTarget): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const dir = target.tlsDir ?? (process.env.DOCKER_CERT_PATH || join(process.env.HOME || homedir(), '.docker'));
  const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  const where = target.tlsDir === undefined ? `${dir} (DOCKER_CERT_PATH)` : dir;
  if (ca === undefined && cert === undefined && key === undefined)
    throw new PipeError(`TLS to the engine at ${target.url} needs ca.pem, cert.pem and key.pem; ${where} has none`);
  if ((cert === undefined) !== (key === undefined))
    throw new PipeError(`TLS to the engine at ${target.url}: ${where} has one of cert.pem and key.pem; give both`);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/**
 * dockerode's connection options for an engine. https://, a context with TLS files, or tcp:// with
 * DOCKER_TLS_VERIFY speak TLS, as the docker CLI does; plain HTTP only to loopback, since the build
 * context and the broker's password cross the connection.
 */
export function connectionOptions(target: EngineTarget): Connection {
  const { url } = target;
  let refused = false;
  const refusedHostKey = () => refused;
  if (url.startsWith('unix://')) return { options: { socketPath: url.slice('unix://'.length) }, refusedHostKey };
  const parsed = new URL(url);
  const host = hostnameOf(parsed);
  if (parsed.protocol === 'ssh:') {
    quietUrlDeprecation();
    const port = Number(parsed.port || 22);
    const agent = process.env.SSH_AUTH_SOCK;
    const privateKey = agent ? undefined : defaultPrivateKey();
    const sshOptions = {
      ...(agent ? { agent } : {}),
      ...(privateKey ? { privateKey } : {}),
      hostVerifier: (key: Buffer) => {
        refused = !isKnownHostKey(host, port, key);
        return !refused;
      },
    };
    const username = decodeURIComponent(parsed.username || process.env.USER || 'root');
    return {
      options: { protocol: 'ssh', host, port, username, sshOptions } as Dockerode.DockerOptions,
      refusedHostKey,
    };
  }
  const tls = parsed.protocol === 'https:' || target.tlsDir !== undefined || Boolean(process.env.DOCKER_TLS_VERIFY);
  const port = Number(parsed.port || (tls ? 2376 : 2375));
  if (tls) return { options: { protocol: 'https', host, port, ...tlsFiles(target) }, refusedHostKey };
  if (!isLoopback(host))
    throw new PipeError(
      `${url} is plain HTTP: the password would cross the network in clear; use ssh://, or TLS (https://, or DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)`,
    );
  return { options: { protocol: 'http', host, port }, refusedHostKey };
}
