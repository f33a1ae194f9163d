import type { Aedes } from 'aedes';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ByteMeter } from './client-stream.js';
import type { QueuedMessages } from './queued-messages.js';

export interface BrokerMetrics {
  registry: Registry;
  meter: ByteMeter;
}

/** The broker's metrics in the Prometheus text format: connections, bytes each way, messages queued per session, and the process's own. */
export function brokerMetrics(aedes: Aedes, queued: QueuedMessages | null): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'skypipe_broker_' });
  const received = new Counter({
    name: 'skypipe_broker_received_bytes_total',
    help: 'Bytes read from clients',
    registers: [registry],
  });
  const sent = new Counter({
    name: 'skypipe_broker_sent_bytes_total',
    help: 'Bytes written to clients',
    registers: [registry],
  });
  new Gauge({
    name: 'skypipe_broker_connections',
    help: 'Connected clients',
    registers: [registry],
    collect() {
      this.set(aedes.connectedClients);
    },
  });
  // Only where the store can count them (on disk).
  if (queued !== null) {
    new Gauge({
      name: 'skypipe_broker_queued_messages',
      help: 'Messages waiting in each persistent session (a pipe mailbox holds what waits in its pipe)',
      labelNames: ['session'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [session, count] of queued.bySession()) this.set({ session }, count);
      },
    });
    new Gauge({
      name: 'skypipe_broker_queued_bytes',
      help: "Bytes waiting in each user's persistent sessions (user empty: sessions outside every namespace)",
      labelNames: ['user'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [user, bytes] of queued.bytesByUser()) this.set({ user }, bytes);
      },
    });
  }
  return { registry, meter: { received: (bytes) => received.inc(bytes), sent: (bytes) => sent.inc(bytes) } };
}
