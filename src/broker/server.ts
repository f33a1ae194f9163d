import { mkdirSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Aedes } from 'aedes';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import { accessHooks, type AccessPolicy } from './access.js';
import { answerAdvertisementSubscriptions } from './advertisement.js';
import { lookUpExactRetainedTopics } from './exact-retained-lookup.js';
import { clientStream } from './client-stream.js';
import { openHttpEndpoint, type HttpEndpoint } from './http-endpoint.js';
import type { LogLevel } from './log-levels.js';
import { brokerLogger, logConnections } from './logger.js';
import { brokerMetrics } from './metrics.js';
import { queuedMessagesBySession } from './queued-messages.js';
import type { ListenerSettings, TlsCredentials } from './listener-settings.js';
import { openListener, type OpenListener } from './listeners.js';

export interface BrokerSettings {
  listeners: ListenerSettings[];
  /** For mqtts and wss listeners. */
  tls: TlsCredentials | null;
  /** Where sessions, queued frames and retained messages are kept across restarts. */
  dataDir: string;
  /** Users and their namespaces; null lets every client in, to every topic. */
  access: AccessPolicy | null;
  /** Largest MQTT packet read from a client, and the capacity advised to senders; both advertised. */
  limits: { maximumPacketSize: number; pipeCapacity?: number };
  /** Advertised to clients. */
  version: string;
  /** Where /healthz and /metrics are served; null for nowhere. */
  http: { host: string; port: number } | null;
  /** Structured log lines (pino) go to standard output from this level up. */
  logLevel: LogLevel;
}

export interface RunningBroker {
  listeners: OpenListener[];
  /** The health and metrics endpoint's URL, when there is one. */
  http: string | null;
  close(): Promise<void>;
}

/**
 * Aedes drops a QoS 1 message bound for a client when a message with a higher internal counter
 * reached that client first (a filter meant for clustered brokers). With durable storage the
 * asynchronous writes reorder messages, so live messages to a persistent session vanished until
 * it reconnected. One broker needs no such filter: delivery goes on, possibly out of order, and
 * skypipe's receiver puts frames back in order.
 */
function disableDuplicateFilter(client: object): void {
  (client as { duplicates: object }).duplicates = new Proxy({}, { get: () => 0, set: () => true });
}

/** Starts the Aedes broker with durable storage on its listeners. */
export async function startBroker(settings: BrokerSettings): Promise<RunningBroker> {
  const log = brokerLogger(settings.logLevel);
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const db = new Level(settings.dataDir);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const reason = cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String((error as Error).message) + String(cause)) ? 'another broker is using it' : (error as Error).message;
    throw new Error(`cannot open the data directory ${settings.dataDir}: ${reason}`);
  }
  const persistence = aedesPersistenceLevel(db);
  lookUpExactRetainedTopics(persistence, db);
  const access = settings.access === null ? null : accessHooks(settings.access, (username, reason) => log.warn({ username, reason }, 'refused a connection'));
  const aedes = await Aedes.createBroker({
    persistence,
    preConnect: (client, packet, callback) => {
      disableDuplicateFilter(client);
      if (access === null) callback(null, true);
      else access.preConnect(client, packet, callback);
    },
    ...(access === null
      ? {}
      : { authenticate: access.authenticate, authorizePublish: access.authorizePublish, authorizeSubscribe: access.authorizeSubscribe }),
  });
  logConnections(aedes, log);
  const metrics = brokerMetrics(aedes, () => queuedMessagesBySession(db));
  const listeners: OpenListener[] = [];
  let http: HttpEndpoint | null = null;
  let serving = false;
  /**
   * Stops accepting, then closes the clients (what they sent and the broker did not acknowledge,
   * they send again on their next connection), then the store, which finishes its writes first.
   */
  const close = async () => {
    serving = false;
    const stopped = Promise.all(listeners.map((listener) => listener.close()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await stopped;
    await http?.close();
    await db.close();
    log.info('stopped');
  };
  answerAdvertisementSubscriptions(aedes, { skypipe: settings.version, ...settings.limits });
  const { maximumPacketSize } = settings.limits;
  const handle = (stream: Duplex) =>
    aedes.handle(clientStream(stream, maximumPacketSize, metrics.meter, (error) => log.warn({ reason: error.message }, 'closed a connection for an oversized packet')));
  try {
    for (const listener of settings.listeners) listeners.push(await openListener(listener, handle, settings.tls, maximumPacketSize));
    if (settings.http !== null) http = await openHttpEndpoint(settings.http.host, settings.http.port, metrics.registry, () => serving);
  } catch (error) {
    await close();
    throw error;
  }
  serving = true;
  log.info({ listeners: listeners.map((listener) => listener.url), http: http?.url, dataDir: settings.dataDir }, 'listening');
  return { listeners, http: http?.url ?? null, close };
}
