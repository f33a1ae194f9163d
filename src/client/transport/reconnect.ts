import { interrupted, PipeError } from '../../protocol/errors.js';
import type { BrokerTarget } from './broker-target.js';
import { failsForGood } from './connect-failure.js';
import { connect, ConnectionClosed, type Connection, type ConnectOptions } from './connection.js';
import type { TransportTimings } from './timings.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Connects again after a lost connection, every `reconnectEveryMs`, until the reconnect window has
 * passed or `stopped()` says to give up; a failure for which `hopeless` is true ends it at once.
 * The error names what was going on (`doing`).
 */
export async function reconnect(
  target: BrokerTarget,
  options: ConnectOptions,
  doing: string,
  stopped: () => boolean,
  timings: TransportTimings,
  hopeless: (error: unknown) => boolean = () => false,
): Promise<Connection> {
  const deadline = Date.now() + timings.reconnectWindowMs;
  let lastError: unknown = null;
  while (Date.now() < deadline && !stopped()) {
    try {
      return await connect(target, options, timings);
    } catch (error) {
      if (hopeless(error)) throw error;
      lastError = error;
      // A revival that fails is tried again on the next round; the window still bounds the whole.
      await target.revive?.().catch(() => {});
      await sleep(timings.reconnectEveryMs);
    }
  }
  if (stopped()) throw interrupted();
  const reason = lastError instanceof Error ? lastError.message : 'no connection';
  throw new PipeError(
    `lost the connection to the broker while ${doing} and could not get it back within ${describeDuration(timings.reconnectWindowMs)}: ${reason}`,
    'error',
    { cause: lastError },
  );
}

/**
 * The first connection, tried again within `timings.firstConnectWindowMs` (at once when 0) unless
 * the broker refuses in a way that would repeat; fails as the last attempt did.
 */
export async function connectWithin(
  target: BrokerTarget,
  options: ConnectOptions,
  stopped: () => boolean,
  timings: TransportTimings,
): Promise<Connection> {
  const deadline = Date.now() + timings.firstConnectWindowMs;
  for (;;) {
    try {
      return await connect(target, options, timings);
    } catch (error) {
      if (failsForGood(error) || Date.now() + timings.reconnectEveryMs >= deadline) throw error;
      await target.revive?.().catch(() => {});
      await sleep(timings.reconnectEveryMs);
      if (stopped()) throw interrupted();
    }
  }
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

/** A duration for a message: whole minutes as minutes, anything else in seconds. */
export function describeDuration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${ms / 1000} s`;
}
