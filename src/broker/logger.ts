import type { Aedes } from 'aedes';
import { pino, type Logger } from 'pino';
import type { LogLevel } from './log-levels.js';

/** The broker's structured log: one JSON object per line on standard output. */
export function brokerLogger(level: LogLevel): Logger {
  return pino({ name: 'skypipe-broker', level, base: { pid: process.pid } });
}

/** Who came and went, and why a connection failed: at info and warn. */
export function logConnections(aedes: Aedes, log: Logger): void {
  aedes.on('client', (client) => log.info({ client: client.id }, 'client connected'));
  aedes.on('clientDisconnect', (client) => log.info({ client: client.id }, 'client disconnected'));
  aedes.on('clientError', (client, error) => {
    // A connection the broker itself closed (a takeover, a disconnect) ends its stream with an AbortError.
    if (error.name === 'AbortError') log.debug({ client: client.id, reason: error.message }, 'client stream closed');
    else log.warn({ client: client.id, reason: error.message }, 'client error');
  });
  aedes.on('connectionError', (_client, error) => {
    // skypipe clients try MQTT 5 first and come back with 3.1.1 at once: routine, not a warning.
    if (error.message === 'unacceptable protocol version') log.debug({ reason: error.message }, 'connection error');
    else log.warn({ reason: error.message }, 'connection error');
  });
  aedes.on('keepaliveTimeout', (client) => log.info({ client: client.id }, 'keep-alive timeout'));
}
