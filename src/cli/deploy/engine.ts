import type Dockerode from 'dockerode';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipeError } from '../../protocol/errors.js';
import { defaultPrivateKey, hostKeyHint, isKnownHostKey } from './ssh-trust.js';
import type { EngineTarget } from './target.js';

export interface Engine {
  docker: Dockerode;
  target: EngineTarget;
  /** The engine's architecture, as Go names it (amd64, arm64). */
  arch: string;
  /** Podman runs health checks only from systemd timers: without systemd, only when asked. */
  podman: boolean;
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

/** dockerode's connection options for an engine URL. */
function connectionOptions(url: string): { options: Dockerode.DockerOptions; refusedHostKey: () => boolean } {
  let refused = false;
  const refusedHostKey = () => refused;
  if (url.startsWith('unix://')) return { options: { socketPath: url.slice('unix://'.length) }, refusedHostKey };
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
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
    return {
      options: {
        protocol: 'ssh',
        host,
        port,
        username: decodeURIComponent(parsed.username || process.env.USER || 'root'),
        sshOptions,
      } as Dockerode.DockerOptions,
      refusedHostKey,
    };
  }
  // tcp://: TLS as the docker CLI does it, with DOCKER_TLS_VERIFY and the files in DOCKER_CERT_PATH.
  const port = Number(parsed.port || (process.env.DOCKER_TLS_VERIFY ? 2376 : 2375));
  if (!process.env.DOCKER_TLS_VERIFY) return { options: { protocol: 'http', host, port }, refusedHostKey };
  const dir = process.env.DOCKER_CERT_PATH || join(process.env.HOME ?? '', '.docker');
  const read = (name: string) => readFileSync(join(dir, name));
  return {
    options: { protocol: 'https', host, port, ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') },
    refusedHostKey,
  };
}

/** The engine's own words for a failed request, on one line. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  const message = json?.message ?? (error as Error).message ?? String(error);
  return message.replace(/\s+/g, ' ').trim();
}

/** Connects to the engine and checks that it answers (preflight: one line when it does not). */
export async function connectEngine(target: EngineTarget): Promise<Engine> {
  // Loaded only here: the rest of skypipe never pays for the engine client.
  const { default: Docker } = await import('dockerode');
  const { options, refusedHostKey } = connectionOptions(target.url);
  // No request timeout: over SSH, Node's HTTP client cannot set one on the channel (a build takes minutes anyway).
  const docker = new Docker(options);
  try {
    const version = await docker.version();
    const podman = (version.Components ?? []).some((component) => /podman/i.test(component.Name));
    return { docker, target, arch: version.Arch, podman };
  } catch (error) {
    if (refusedHostKey()) {
      const { hostname, port } = new URL(target.url);
      throw new PipeError(hostKeyHint(hostname, Number(port || 22)));
    }
    throw new PipeError(
      `cannot reach the container engine at ${target.url} (${target.origin}): ${engineMessage(error)}`,
    );
  }
}
