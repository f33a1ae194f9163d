import type Dockerode from 'dockerode';
import { PipeError } from '../../protocol/errors.js';
import { ENGINE_ANSWER_MS, withTimeout } from './bounded.js';
import { connectionOptions } from './connection.js';
import { hostKeyHint } from './ssh-trust.js';
import type { EngineTarget } from './target.js';

export interface Engine {
  docker: Dockerode;
  target: EngineTarget;
  /** The engine's architecture, as Go names it (amd64, arm64). */
  arch: string;
  /** Podman runs health checks only from systemd timers: without systemd, only when asked. */
  podman: boolean;
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
  const { options, refusedHostKey } = connectionOptions(target);
  // No request timeout in the client: over SSH, Node's HTTP client cannot set one on the channel.
  const docker = new Docker(options);
  try {
    const version = await withTimeout(docker.version(), ENGINE_ANSWER_MS, `the container engine at ${target.url}`);
    const podman = (version.Components ?? []).some((component) => /podman/i.test(component.Name));
    return { docker, target, arch: version.Arch, podman };
  } catch (error) {
    if (error instanceof PipeError) throw error;
    if (refusedHostKey()) {
      const { hostname, port } = new URL(target.url);
      throw new PipeError(hostKeyHint(hostname, Number(port || 22)));
    }
    throw new PipeError(
      `cannot reach the container engine at ${target.url} (${target.origin}): ${engineMessage(error)}`,
    );
  }
}
