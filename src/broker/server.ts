import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { AckOnceStored, canDeferDurability } from './ack-once-stored.js';
import { RetainedFirst } from './retained-first.js';
import { accessHooks, storedWillAllowed, type AccessPolicy } from './access.js';
import { answerAdvertisementSubscriptions, tellRefusal } from './advertisement.js';
import { clientStream } from './client-stream.js';
import { PendingLogins } from './pending-logins.js';
import { answerQueueSubscriptions } from './queue-answers.js';
import { openHttpEndpoint, type HttpEndpoint } from './http-endpoint.js';
import type { LogFormat } from './log-format.js';
import type { LogLevel } from './log-levels.js';
import { brokerLogger, logConnections, logStoreHealth } from './logger.js';
import { brokerMetrics } from './metrics.js';
import { openStorage, type StorageSettings } from './storage.js';
import type { ListenerSettings, TlsCredentials } from './listener-settings.js';
import { openListener, type OpenListener } from './listeners.js';
import { Quota } from './quota.js';
import { StoreRefusals } from './store-refusals.js';
import { screenStoredWills } from './stored-wills.js';
import { underSubscriptionLimit } from './subscription-limits.js';
import { storeGrantedSubscriptions } from './subscription-store.js';

export interface BrokerSettings {
  listeners: ListenerSettings[];
  /** For mqtts and wss listeners. */
  tls: TlsCredentials | null;
  /** Where sessions, queued frames and retained messages are kept across restarts. */
  storage: StorageSettings;
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
  /** JSON by default; text for a person at a terminal. */
  logFormat?: LogFormat;
  /**
   * How often the broker beats (aedes's heartbeat, 60 s by default). The Wills a dead broker stored
   * are published four beats after a restart.
   */
  heartbeatIntervalMs?: number;
  /** How long a connection may take to be accepted (10 s by default). */
  loginTimeoutMs?: number;
}

export interface RunningBroker {
  listeners: OpenListener[];
  /** The health and metrics endpoint's URL, when there is one. */
  http: string | null;
  /** Where the data is: the directory, or the Redis server. */
  storage: string;
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
  const log = brokerLogger(settings.logLevel, settings.logFormat);
  const storage = await openStorage(settings.storage);
  const advertisement = { skypipe: settings.version, ...settings.limits };
  const limit = settings.access?.maxBytesPerUser ?? null;
  const quota = limit === null || storage.accounting === null ? null : new Quota(limit, storage.accounting);
  const refusals = new StoreRefusals(storage.health, (client, reason, packet, done) =>
    tellRefusal(client, settings.version, reason, done, { packet }),
  );
  const access =
    settings.access === null
      ? null
      : accessHooks(settings.access, {
          quota,
          notify: (client, root, reason, packet, done) =>
            tellRefusal(client, settings.version, reason, done, { root, packet }),
          refused: (username, reason) => log.warn({ username, reason }, 'refused'),
        });
  if (settings.access !== null) {
    screenStoredWills(storage.persistence, storedWillAllowed, (will) =>
      log.warn({ clientId: will.clientId, topic: will.topic }, 'dropped a stored Will outside its namespace'),
    );
  }
  /** Whether a client may hold a subscription to `topic`: its namespace, and the limit per client. */
  const grants = (client: Client, topic: string) =>
    underSubscriptionLimit(client, topic) && (access === null || access.mayRead(client, topic));
  storeGrantedSubscriptions(storage.persistence, grants);
  const ackOnceStored = new AckOnceStored(canDeferDurability(storage.persistence) ? storage.persistence : null);
  const retainedFirst = new RetainedFirst();
  const aedes = await Aedes.createBroker({
    persistence: storage.persistence,
    ...(settings.heartbeatIntervalMs === undefined ? {} : { heartbeatInterval: settings.heartbeatIntervalMs }),
    ...(storage.mq === null ? {} : { mq: storage.mq }),
    preConnect: (client, packet, callback) => {
      disableDuplicateFilter(client);
      if (access === null) callback(null, true);
      else access.preConnect(client, packet, callback);
    },
    authorizeSubscribe: (client, subscription, callback) =>
      callback(null, client !== null && grants(client, subscription.topic) ? subscription : null),
    // The broker's own messages (client null) are not refused: Wills it stored, and those it held while its store failed.
    // Last, a client's QoS 1 publish is stored before aedes goes on to acknowledge it (ack-once-stored.ts).
    // First, it waits for the retained messages of the client's SUBSCRIBEs before it (retained-first.ts).
    authorizePublish: (client, packet, callback) =>
      retainedFirst.afterRetained(client, () => {
        if (client !== null && refusals.refuse(client, packet, callback)) return;
        const decided = (refusal?: Error | null) => ackOnceStored.authorized(client, packet, refusal ?? null, callback);
        if (access === null) decided(null);
        else access.authorizePublish(client, packet, decided);
      }),
    ...(access === null ? {} : { authenticate: access.authenticate }),
  });
  quota?.follow(aedes);
  ackOnceStored.follow(aedes);
  retainedFirst.follow(aedes, storage.persistence as object);
  if (storage.accounting !== null) answerQueueSubscriptions(aedes, storage.accounting);
  logConnections(aedes, log);
  logStoreHealth(storage, log, () => refusals.publishHeldWills(aedes));
  const metrics = brokerMetrics(aedes, storage.queued, storage.accounting?.ledger ?? null, storage.health);
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
    await storage.close();
    log.info('stopped');
  };
  answerAdvertisementSubscriptions(aedes, advertisement);
  const { maximumPacketSize } = settings.limits;
  const pendingLogins = new PendingLogins();
  const handle = (stream: Duplex, address: string) => {
    if (!pendingLogins.enter(address)) {
      log.warn({ address }, 'refused a connection: too many waiting to be accepted');
      stream.destroy();
      return;
    }
    let pending = true;
    const settled = () => {
      if (pending) pendingLogins.leave(address);
      pending = false;
    };
    stream.once('close', settled);
    aedes.handle(
      clientStream(stream, {
        address,
        maximumPacketSize,
        meter: metrics.meter,
        refused: (reason) => log.warn({ address, reason }, 'closed a connection'),
        loggedIn: settled,
        ...(settings.loginTimeoutMs === undefined ? {} : { loginTimeoutMs: settings.loginTimeoutMs }),
      }),
    );
  };
  try {
    for (const listener of settings.listeners)
      listeners.push(await openListener(listener, handle, settings.tls, maximumPacketSize));
    if (settings.http !== null)
      http = await openHttpEndpoint(settings.http.host, settings.http.port, metrics.registry, () => {
        if (!serving) return 'stopping';
        const refusal = storage.health.refusal();
        return refusal === null ? null : `cannot store: ${refusal}`;
      });
  } catch (error) {
    await close();
    throw error;
  }
  serving = true;
  log.info(
    { listeners: listeners.map((listener) => listener.url), http: http?.url, storage: storage.where },
    'listening',
  );
  return { listeners, http: http?.url ?? null, storage: storage.where, close };
}
