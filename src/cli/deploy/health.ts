import { setTimeout as sleep } from 'node:timers/promises';
import { PipeError } from '../../protocol/errors.js';
import { ENGINE_ANSWER_MS, HEALTHCHECK_MS, withTimeout } from './bounded.js';
import { engineMessage, type Engine } from './engine.js';

/** How long the broker may take to report healthy after its container starts. */
const HEALTHY_WITHIN_MS = 90_000;
const POLL_MS = 500;

/** Asks podman to run the container's health check now: without systemd it has no timer to. */
function runPodmanHealthcheck(engine: Engine, name: string): Promise<void> {
  const asked = new Promise<void>((resolve) => {
    engine.docker.modem.dial(
      {
        path: `/v4.0.0/libpod/containers/${encodeURIComponent(name)}/healthcheck?`,
        method: 'GET',
        statusCodes: { 200: true, 409: true, 500: true },
        options: {},
      },
      () => resolve(),
    );
  });
  return withTimeout(asked, HEALTHCHECK_MS, 'running the health check').catch(() => undefined);
}

/** Waits until the container reports healthy; one line when it stops, turns unhealthy, or takes too long. */
export async function waitHealthy(engine: Engine, name: string): Promise<void> {
  const container = engine.docker.getContainer(name);
  const deadline = Date.now() + HEALTHY_WITHIN_MS;
  const logsHint = `'docker logs ${name}' shows why`;
  for (;;) {
    let state;
    try {
      state = (await withTimeout(container.inspect(), ENGINE_ANSWER_MS, 'looking at the broker')).State;
    } catch (error) {
      if (error instanceof PipeError) throw error;
      throw new PipeError(`the broker's container is gone: ${engineMessage(error)}`);
    }
    const health = state.Health?.Status;
    if (health === 'healthy') return;
    if (!state.Running)
      throw new PipeError(`the broker's container stopped (exit code ${state.ExitCode}); ${logsHint}`);
    if (health === 'unhealthy') throw new PipeError(`the broker's container is unhealthy; ${logsHint}`);
    if (Date.now() > deadline)
      throw new PipeError(`the broker was not healthy within ${HEALTHY_WITHIN_MS / 1000} s; ${logsHint}`);
    if (engine.podman) await runPodmanHealthcheck(engine, name);
    await sleep(POLL_MS);
  }
}
