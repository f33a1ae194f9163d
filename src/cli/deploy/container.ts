import type Dockerode from 'dockerode';
import { PipeError } from '../../protocol/errors.js';
import { ENGINE_ANSWER_MS, withTimeout } from './bounded.js';
import { engineMessage, type Engine } from './engine.js';
import { containerSpec, LABEL, type DeploySettings } from './spec.js';

const notFound = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 404;

/** The container named `name` if there is one; an error if it is not skypipe's. */
export async function existingBroker(engine: Engine, name: string): Promise<Dockerode.ContainerInspectInfo | null> {
  let info;
  try {
    info = await withTimeout(engine.docker.getContainer(name).inspect(), ENGINE_ANSWER_MS, 'looking for the broker');
  } catch (error) {
    if (notFound(error)) return null;
    if (error instanceof PipeError) throw error;
    throw new PipeError(`cannot look for container '${name}': ${engineMessage(error)}`);
  }
  if (info.Config.Labels?.[LABEL] === undefined)
    throw new PipeError(`a container named '${name}' exists and is not skypipe's; choose another with --name`);
  return info;
}

/** Preflight: a port another container publishes is taken. */
export async function checkPortsFree(engine: Engine, settings: DeploySettings): Promise<void> {
  const containers = await withTimeout(engine.docker.listContainers(), ENGINE_ANSWER_MS, 'listing containers');
  for (const port of [settings.mqttsPort, settings.wssPort]) {
    const holder = containers.find(
      (container) =>
        !container.Names.some((name) => name.replace(/^\//, '') === settings.name) &&
        container.Ports.some((published) => published.PublicPort === port),
    );
    if (holder !== undefined)
      throw new PipeError(
        `port ${port} on ${engine.target.host} is taken by container ${holder.Names[0]?.replace(/^\//, '')}; ${portFlagHint(settings, port)}`,
      );
  }
}

const portFlagHint = (settings: DeploySettings, port: number): string =>
  `choose another with ${port === settings.mqttsPort ? '--mqtts-port' : '--wss-port'}`;

/**
 * Replaces the broker's container with one on the current image; the volume stays. The old one is
 * stopped and set aside until the new one starts, and runs again if the new one does not (a port a
 * host process holds, which no preflight on the engine's containers sees).
 */
export async function replaceBroker(engine: Engine, settings: DeploySettings, existing: boolean): Promise<void> {
  const aside = `${settings.name}-previous`;
  if (existing) {
    if ((await existingBroker(engine, aside)) !== null) await removeBroker(engine, aside);
    await stopBroker(engine, settings.name);
    try {
      await engine.docker.getContainer(settings.name).rename({ name: aside });
    } catch (error) {
      throw new PipeError(`cannot set the running broker aside: ${engineMessage(error)}`);
    }
  }
  try {
    await startBroker(engine, settings);
  } catch (error) {
    if (!existing) throw error;
    const restored = await engine.docker
      .getContainer(aside)
      .rename({ name: settings.name })
      .then(() => startAgain(engine, settings.name))
      .then(
        () => 'the previous broker runs again',
        (failure: unknown) =>
          `the previous broker is stopped, as container '${aside}' (${engineMessage(failure)}); 'skypipe deploy' again once the port is free`,
      );
    throw new PipeError(`${(error as Error).message}; ${restored}`);
  }
  if (existing) await removeBroker(engine, aside);
}

/** Restarting the broker set aside may find its ports still held for a moment by the engine, releasing those of the container that failed. */
const RESTART_TRIES = 20;
const RESTART_PAUSE_MS = 250;

async function startAgain(engine: Engine, name: string): Promise<void> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await engine.docker.getContainer(name).start();
    } catch (error) {
      if (tries >= RESTART_TRIES || !/address already in use|port is already allocated/i.test(engineMessage(error)))
        throw error;
      await new Promise((resolve) => setTimeout(resolve, RESTART_PAUSE_MS));
    }
  }
}

async function startBroker(engine: Engine, settings: DeploySettings): Promise<void> {
  let container: Dockerode.Container;
  try {
    container = await engine.docker.createContainer(containerSpec(settings));
  } catch (error) {
    throw new PipeError(`cannot create the broker's container: ${engineMessage(error)}`);
  }
  try {
    await container.start();
  } catch (error) {
    await container.remove({ force: true }).catch(() => undefined);
    const message = engineMessage(error);
    const taken = /address already in use|port is already allocated/i.test(message);
    const port = [settings.mqttsPort, settings.wssPort].find((each) => new RegExp(`\\b${each}\\b`).test(message));
    if (taken)
      throw new PipeError(
        port === undefined
          ? `a port the broker needs on ${engine.target.host} is taken (${settings.mqttsPort} or ${settings.wssPort}); choose others with --mqtts-port and --wss-port`
          : `port ${port} on ${engine.target.host} is taken; ${portFlagHint(settings, port)}`,
      );
    throw new PipeError(`cannot start the broker's container: ${message}`);
  }
}

async function stopBroker(engine: Engine, name: string): Promise<void> {
  try {
    await engine.docker.getContainer(name).stop({ t: 15 });
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== 304 && status !== 404)
      throw new PipeError(`cannot stop container '${name}': ${engineMessage(error)}`);
  }
}

/** Stops and removes the broker's container (its volume stays). */
export async function removeBroker(engine: Engine, name: string): Promise<void> {
  const container = engine.docker.getContainer(name);
  try {
    await container.stop({ t: 15 }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 304) throw error;
    });
    await container.remove();
  } catch (error) {
    if (!notFound(error)) throw new PipeError(`cannot remove container '${name}': ${engineMessage(error)}`);
  }
}

/** Removes the broker's volume, if it is skypipe's. */
export async function removeVolume(engine: Engine, name: string): Promise<boolean> {
  const volume = engine.docker.getVolume(name);
  try {
    const info = await volume.inspect();
    if (info.Labels?.[LABEL] === undefined) throw new PipeError(`the volume '${name}' is not skypipe's; it stays`);
    await volume.remove();
    return true;
  } catch (error) {
    if (error instanceof PipeError) throw error;
    if (notFound(error)) return false;
    throw new PipeError(`cannot remove volume '${name}': ${engineMessage(error)}`);
  }
}

/** Creates the broker's volume unless it exists; whether it existed. */
export async function ensureVolume(engine: Engine, name: string): Promise<boolean> {
  try {
    await engine.docker.getVolume(name).inspect();
    return true;
  } catch (error) {
    if (!notFound(error)) throw new PipeError(`cannot look for volume '${name}': ${engineMessage(error)}`);
  }
  try {
    await engine.docker.createVolume({ Name: name, Labels: { [LABEL]: '1' } });
  } catch (error) {
    throw new PipeError(`cannot create volume '${name}': ${engineMessage(error)}`);
  }
  return false;
}
