import { join } from 'node:path';
import {
  LISTENER_KINDS,
  needsTls,
  type ListenerKind,
  type ListenerSettings,
  type TlsCredentials,
} from '../broker/listener-settings.js';
import type { AccessPolicy } from '../broker/access.js';
import type { StorageSettings } from '../broker/storage.js';
import { LOG_FORMATS, type LogFormat } from '../broker/log-format.js';
import { LOG_LEVELS, type LogLevel } from '../broker/log-levels.js';
import { redisOptions } from '../broker/redis-options.js';
import { stateDir } from './state-dir.js';
import { checkUserName, hashPassword, UserDirectory, type Users } from '../broker/users.js';
import { PipeError } from '../protocol/errors.js';
import { readTextFile } from './read-text-file.js';
import { parseSize } from './size.js';

/** `skypipe broker` flags as given; each falls back to its environment variable (for containers). */
export interface BrokerServeFlags {
  host?: string | undefined;
  /** Per listener: a port number, 0 for any free port, or "off". */
  ports: Record<ListenerKind, string | undefined>;
  cert?: string | undefined;
  key?: string | undefined;
  dataDir?: string | undefined;
  redis?: string | undefined;
  users?: string | undefined;
  anonymous?: boolean | undefined;
  maxConnectionsPerUser?: string | undefined;
  maxBytesPerUser?: string | undefined;
  maxPacketSize?: string | undefined;
  pipeCapacity?: string | undefined;
  httpPort?: string | undefined;
  httpHost?: string | undefined;
  logLevel?: string | undefined;
  logFormat?: string | undefined;
  /** Let this machine's skypipe commands use this broker (see local-clients.ts). */
  localClients?: boolean | undefined;
}

export interface BrokerOptions {
  listeners: ListenerSettings[];
  tls: TlsCredentials | null;
  storage: StorageSettings;
  /** Null: every client gets in, to every topic (loopback only, unless --anonymous). */
  access: AccessPolicy | null;
  limits: { maximumPacketSize: number; pipeCapacity?: number };
  http: { host: string; port: number } | null;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** Room for skypipe's 1 MiB frames with their headers and long topics, and twice that for other clients. */
export const DEFAULT_MAX_PACKET_SIZE = 2 * 1024 * 1024;
/** Below this, skypipe's senders refuse to cut frames (broker-limits.ts). */
const SMALLEST_MAX_PACKET_SIZE = 4096;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const listensBeyondLoopback = (listeners: ListenerSettings[]): boolean =>
  listeners.some((listener) => !LOOPBACK.has(listener.host));

/** The users file: --users, else SKYPIPE_BROKER_USERS, else in the state directory. */
export function usersFilePath(flag: string | undefined): string {
  return flag ?? fromEnvironment('SKYPIPE_BROKER_USERS') ?? join(stateDir(), 'broker-users');
}

/** The flag and environment variable that set each listener's port; plain MQTT is on by default. */
export const LISTENER_FLAGS: Record<ListenerKind, { flag: string; variable: string; fallback?: string; what: string }> =
  {
    mqtt: { flag: 'port', variable: 'SKYPIPE_BROKER_PORT', fallback: '1883', what: 'MQTT over TCP' },
    mqtts: { flag: 'tls-port', variable: 'SKYPIPE_BROKER_TLS_PORT', what: 'MQTT over TLS (usually 8883)' },
    ws: { flag: 'ws-port', variable: 'SKYPIPE_BROKER_WS_PORT', what: 'MQTT over WebSocket' },
    wss: { flag: 'wss-port', variable: 'SKYPIPE_BROKER_WSS_PORT', what: 'MQTT over secure WebSocket (usually 443)' },
  };

function fromEnvironment(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function parsePort(raw: string, flag: string): number | null {
  if (raw === 'off') return null;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new PipeError(`--${flag}: '${raw}' is not a port number (0-65535, or off)`, 'usage');
  return port;
}

/**
 * Who may connect: the users file and the user given by SKYPIPE_BROKER_USER and
 * SKYPIPE_BROKER_PASSWORD. With no users, only a broker on loopback lets everyone in, unless
 * --anonymous says so.
 */
async function resolveAccess(flags: BrokerServeFlags, listeners: ListenerSettings[]): Promise<AccessPolicy | null> {
  const path = usersFilePath(flags.users);
  const fixed: Users = new Map();
  const [user, password] = [fromEnvironment('SKYPIPE_BROKER_USER'), fromEnvironment('SKYPIPE_BROKER_PASSWORD')];
  if ((user === undefined) !== (password === undefined))
    throw new PipeError('SKYPIPE_BROKER_USER and SKYPIPE_BROKER_PASSWORD go together: set both or neither', 'usage');
  if (user !== undefined) {
    try {
      checkUserName(user);
    } catch (error) {
      throw new PipeError(`SKYPIPE_BROKER_USER: ${(error as Error).message}`, 'usage');
    }
    fixed.set(user, await hashPassword(password!));
  }
  let users: UserDirectory;
  try {
    users = new UserDirectory(path, fixed);
  } catch (error) {
    throw new PipeError((error as Error).message, 'usage');
  }
  const anonymous = flags.anonymous ?? ['1', 'true', 'yes'].includes(fromEnvironment('SKYPIPE_BROKER_ANONYMOUS') ?? '');
  const limit = flags.maxConnectionsPerUser ?? fromEnvironment('SKYPIPE_BROKER_MAX_CONNECTIONS_PER_USER');
  if (limit !== undefined && !/^[1-9]\d{0,8}$/.test(limit))
    throw new PipeError(`--max-connections-per-user: '${limit}' is not a positive number`, 'usage');
  const maxConnectionsPerUser = limit === undefined ? null : Number(limit);
  const bytes = flags.maxBytesPerUser ?? fromEnvironment('SKYPIPE_BROKER_MAX_BYTES_PER_USER');
  const maxBytesPerUser = bytes === undefined ? null : parseSize(bytes, '--max-bytes-per-user');
  if (maxBytesPerUser !== null && (flags.redis ?? fromEnvironment('SKYPIPE_BROKER_REDIS_URL')) !== undefined) {
    throw new PipeError(
      '--max-bytes-per-user needs the data on disk: with --redis the broker cannot count what waits',
      'usage',
    );
  }
  if (users.size > 0) return { users, anonymous, maxConnectionsPerUser, maxBytesPerUser };
  if (listensBeyondLoopback(listeners) && !anonymous) {
    throw new PipeError(
      `this broker would listen beyond loopback with no users: add one with 'skypipe broker user add NAME' (${path}), or set SKYPIPE_BROKER_USER and SKYPIPE_BROKER_PASSWORD; --anonymous lets anyone in`,
      'usage',
    );
  }
  return null;
}

/** Settles the broker's listeners, certificate, data directory and users from flags, then the environment. */
export async function resolveBrokerOptions(flags: BrokerServeFlags): Promise<BrokerOptions> {
  const host = flags.host ?? fromEnvironment('SKYPIPE_BROKER_HOST') ?? '127.0.0.1';
  const listeners: ListenerSettings[] = [];
  for (const kind of LISTENER_KINDS) {
    const { flag, variable, fallback } = LISTENER_FLAGS[kind];
    const raw = flags.ports[kind] ?? fromEnvironment(variable) ?? fallback;
    const port = raw === undefined ? null : parsePort(raw, flag);
    if (port !== null) listeners.push({ kind, host, port });
  }
  if (listeners.length === 0)
    throw new PipeError(
      'every listener is off; give at least one of --port, --tls-port, --ws-port, --wss-port',
      'usage',
    );
  const certPath = flags.cert ?? fromEnvironment('SKYPIPE_BROKER_CERT');
  const keyPath = flags.key ?? fromEnvironment('SKYPIPE_BROKER_KEY');
  let tls: TlsCredentials | null = null;
  const secure = listeners.find((listener) => needsTls(listener.kind));
  if (secure !== undefined) {
    if (certPath === undefined || keyPath === undefined) {
      throw new PipeError(
        `--${LISTENER_FLAGS[secure.kind].flag} needs --cert and --key; 'skypipe broker cert' makes a self-signed pair`,
        'usage',
      );
    }
    tls = { cert: readTextFile(certPath, '--cert'), key: readTextFile(keyPath, '--key') };
  }
  const dataDir = flags.dataDir ?? fromEnvironment('SKYPIPE_BROKER_DATA_DIR') ?? join(stateDir(), 'broker-data');
  const httpPort = flags.httpPort ?? fromEnvironment('SKYPIPE_BROKER_HTTP_PORT');
  const http = httpPort === undefined ? null : parsePort(httpPort, 'http-port');
  const logLevel = flags.logLevel ?? fromEnvironment('SKYPIPE_BROKER_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new PipeError(`--log-level: '${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`, 'usage');
  // A person at a terminal reads text; a pipe, a file or a collector gets JSON.
  const logFormat =
    flags.logFormat ?? fromEnvironment('SKYPIPE_BROKER_LOG_FORMAT') ?? (process.stdout.isTTY ? 'text' : 'json');
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat))
    throw new PipeError(`--log-format: '${logFormat}' is not one of ${LOG_FORMATS.join(', ')}`, 'usage');
  return {
    listeners,
    tls,
    storage: resolveStorage(flags, dataDir),
    access: await resolveAccess(flags, listeners),
    limits: resolveLimits(flags),
    // Loopback unless asked: the metrics name users and sessions, and nothing guards them.
    http:
      http === null
        ? null
        : { host: flags.httpHost ?? fromEnvironment('SKYPIPE_BROKER_HTTP_HOST') ?? '127.0.0.1', port: http },
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
  };
}

/** On disk in the data directory, or in Redis (shared by several instances) with --redis. */
function resolveStorage(flags: BrokerServeFlags, dataDir: string): StorageSettings {
  const redis = flags.redis ?? fromEnvironment('SKYPIPE_BROKER_REDIS_URL');
  if (redis === undefined) return { kind: 'disk', dataDir };
  if (flags.dataDir !== undefined)
    throw new PipeError('--data-dir and --redis exclude each other: the data is in one place', 'usage');
  try {
    return { kind: 'redis', url: redis, options: redisOptions(redis) };
  } catch (error) {
    throw new PipeError(`--redis: ${(error as Error).message}`, 'usage');
  }
}

function resolveLimits(flags: BrokerServeFlags): BrokerOptions['limits'] {
  const packet = flags.maxPacketSize ?? fromEnvironment('SKYPIPE_BROKER_MAX_PACKET_SIZE');
  const maximumPacketSize = packet === undefined ? DEFAULT_MAX_PACKET_SIZE : parseSize(packet, '--max-packet-size');
  if (maximumPacketSize < SMALLEST_MAX_PACKET_SIZE)
    throw new PipeError(
      `--max-packet-size: ${packet} is below ${SMALLEST_MAX_PACKET_SIZE} bytes, too small for skypipe's frames`,
      'usage',
    );
  const capacity = flags.pipeCapacity ?? fromEnvironment('SKYPIPE_BROKER_PIPE_CAPACITY');
  return capacity === undefined
    ? { maximumPacketSize }
    : { maximumPacketSize, pipeCapacity: parseSize(capacity, '--pipe-capacity') };
}
