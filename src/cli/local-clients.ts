import { newLocalKey } from '../broker/local-key.js';
import type { BrokerSettings } from '../broker/server.js';
import { PipeError } from '../protocol/errors.js';
import { runningLocalSky } from './local-sky.js';

/**
 * `skypipe broker --local-clients` (SKYPIPE_BROKER_LOCAL_CLIENTS=1, set in the image): the skypipe
 * commands of this machine use this broker, not a local broker of their own. It listens on a
 * loopback port of its own for them and writes that port, with a key standing for its users'
 * passwords, to the record where they look for the local broker.
 */
export function wantsLocalClients(flag: boolean | undefined): boolean {
  return flag ?? ['1', 'true', 'yes'].includes(process.env.SKYPIPE_BROKER_LOCAL_CLIENTS ?? '');
}

export interface LocalClients {
  key: string | null;
  /** Whom the commands act as when they name no user: the image's user, or the only one. */
  user: string | null;
}

/** Adds the loopback listener (last) and the key to `settings`; refuses while a local broker runs here. */
export async function prepareLocalClients(settings: BrokerSettings): Promise<LocalClients> {
  const running = await runningLocalSky();
  if (running !== null) {
    throw new PipeError(
      `--local-clients: a local broker already runs here (pid ${running.pid}); stop it with 'skypipe broker stop' first`,
      'usage',
    );
  }
  settings.listeners.push({ kind: 'mqtt', host: '127.0.0.1', port: 0 });
  if (settings.access === null) return { key: null, user: null };
  const key = newLocalKey();
  settings.access.localKey = key;
  const names = [...settings.access.users.refresh().keys()];
  const user = process.env.SKYPIPE_BROKER_USER ?? (names.length === 1 ? names[0]! : null);
  return { key, user };
}
