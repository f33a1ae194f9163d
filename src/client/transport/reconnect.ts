import type { BrokerTarget } from './broker-target.js';
import { connect, ConnectionClosed, type Connection, type ConnectOptions } from './connection.js';
import { PipeError } from '../../protocol/errors.js';

/** How long skypipe keeps trying to get back to the broker after losing its connection. */
export const RECONNECT_WINDOW_MS = 5 * 60_000;
const RETRY_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Connects again after a lost connection, once a second, until RECONNECT_WINDOW_MS has passed
 * or `stopped()` says to give up. The error names what was going on (`doing`).
 */
export async function reconnect(
  target: BrokerTarget,
  options: ConnectOptions,
  doing: string,
  stopped: () => boolean,
): Promise<Connection> {
  const deadline = Date.now() + RECONNECT_WINDOW_MS;
  let lastError: unknown = null;
  while (Date.now() < deadline && !stopped()) {
    try {
      return await connect(target, options);
    } catch (error) {
      lastError = error;
      await sleep(RETRY_EVERY_MS);
    }
  }
  if (stopped()) throw new PipeError('interrupted');
  const reason = lastError instanceof Error ? lastError.message : 'no connection';
  throw new PipeError(
    `lost the connection to the broker while ${doing} and could not get it back within ${RECONNECT_WINDOW_MS / 60_000} minutes: ${reason}`,
  );
}

/**
 * Runs `open` (a reconnect and what must follow it: subscriptions, records) again each time its
 * connection closes under it before it is done: a takeover, or the network failing once more.
 */
export async function retryWhileClosed<T>(open: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!(error instanceof ConnectionClosed) || stopped()) throw error;
    }
  }
}
