import type { Aedes } from 'aedes';
import { pino, type Logger } from 'pino';
import { LogDestination } from './log-destination.js';
import type { LogFormat } from './log-format.js';
import type { LogLevel } from './log-levels.js';
import type { Storage } from './storage.js';
import { isStoreFailure } from './store-health.js';

/** The broker's structured log on standard output: one JSON object per line, or per line of text. */
export function brokerLogger(level: LogLevel, format: LogFormat = 'json'): Logger {
  return pino({ name: 'skypipe-broker', level, base: { pid: process.pid } }, new LogDestination(format));
}

/** Who came and went, and why a connection failed: at info and warn. */
export function logConnections(aedes: Aedes, log: Logger): void {
  aedes.on('client', (client) => log.info({ client: client.id }, 'client connected'));
  aedes.on('clientDisconnect', (client) => log.info({ client: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, error) => {
    // A connection the broker itself closed (a takeover, a disconnect) ends its stream with an AbortError.
    if (error.name === 'AbortError') log.debug({ client: client.id, reason: error.message }, 'client stream closed');
    // The store failing closes the connections that needed it; logged once, as the store's health (logStoreHealth).
    else if (isStoreFailure(error)) log.debug({ client: client.id, reason: error.message }, 'client error');
    else log.warn({ client: client.id, reason: error.message }, 'client error');
  });
  aedes.on('connectionError', (_client, error) => {
    // skypipe clients try MQTT 5 first and come back with 3.1.1 at once: routine, not a warning.
    if (error.message === 'unacceptable protocol version') log.debug({ reason: error.message }, 'connection error');
    else log.warn({ reason: error.message }, 'connection error');
  });
  // aedes emits an error it cannot pin on a client (its store failing as it published stored Wills): logged, not fatal.
  (aedes as unknown as NodeJS.EventEmitter).on('error', (error: Error) =>
    log.error({ reason: error.message }, 'broker error'),
  );
  aedes.on('keepaliveTimeout', (client) => log.info({ client: client.id }, 'keep-alive timeout'));
}

/**
 * Each change of the store's health, once: the failure with the store's own error, the recovery
 * with how long it took. `recovered` runs first and says how many held Wills went out.
 */
export function logStoreHealth(
  storage: Storage,
  log: Logger,
  recovered: () => { published: number; dropped: number },
): void {
  storage.health.onChange((state, previous) => {
    if (state.kind === 'failing') {
      log.error(
        { storage: storage.where, reason: state.detail },
        'cannot store: refusing what it would have to store until the store takes writes again',
      );
    } else if (previous.kind === 'failing') {
      const wills = recovered();
      log.warn(
        { storage: storage.where, failedForMs: Date.now() - previous.since.getTime(), wills },
        'the store takes writes again',
      );
    }
  });
}
