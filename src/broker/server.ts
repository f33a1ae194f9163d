import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import aedesPersistenceLevel from 'aedes-persistence-level';
import { Level } from 'level';
import { lookUpExactRetainedTopics } from './exact-retained-lookup.js';

export interface BrokerSettings {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Where sessions, queued frames and retained messages are kept across restarts. */
  dataDir: string;
}

export interface RunningBroker {
  host: string;
  port: number;
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

/** Starts the Aedes broker with durable storage on one MQTT-over-TCP listener. */
export async function startBroker(settings: BrokerSettings): Promise<RunningBroker> {
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
  const aedes = await Aedes.createBroker({
    persistence,
    preConnect: (client, _packet, callback) => {
      disableDuplicateFilter(client);
      callback(null, true);
    },
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await db.close();
    const reason = error.code === 'EADDRINUSE' ? 'the port is in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
    throw new Error(`cannot listen on ${settings.host}:${settings.port}: ${reason}`);
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await stopped;
      await db.close();
    },
  };
}
