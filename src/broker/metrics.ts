import type { Aedes } from 'aedes';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ByteMeter } from './client-stream.js';
import type { QueuedMessages } from './queued-messages.js';
import type { StoredBytes } from './stored-bytes.js';
import type { StoreHealth } from './store-health.js';

export interface BrokerMetrics {
  registry: Registry;
  meter: ByteMeter;
}

/** The broker's metrics in the Prometheus text format: connections, bytes each way, messages queued per session, and the process's own. */
export function brokerMetrics(
  aedes: Aedes,
  queued: QueuedMessages | null,
  stored: StoredBytes | null,
  health: StoreHealth,
): BrokerMetrics {
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
  new Gauge({
    name: 'skypipe_broker_store_failing',
    help: 'Whether the store refuses writes (a full disk): 1 while the broker refuses what it would have to store',
    registers: [registry],
    collect() {
      this.set(health.refusal() === null ? 0 : 1);
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
        for (const [session, count] of largest(queued.bySession())) this.set({ session }, count);
      },
    });
    new Gauge({
      name: 'skypipe_broker_queued_bytes',
      help: "Bytes waiting in each user's persistent sessions (user empty: sessions outside every namespace)",
      labelNames: ['user'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [user, bytes] of largest(queued.bytesByUser())) this.set({ user }, bytes);
      },
    });
  }
  if (stored !== null) {
    new Gauge({
      name: 'skypipe_broker_stored_bytes',
      help: 'Bytes the store holds for each user, as --max-bytes-per-user counts them: queued copies, retained messages, Wills (user empty: outside every namespace)',
      labelNames: ['user'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [user, bytes] of largest(stored.byUser())) this.set({ user }, bytes);
      },
    });
  }
  return { registry, meter: { received: (bytes) => received.inc(bytes), sent: (bytes) => sent.inc(bytes) } };
}

/** Series per label value at most, whatever the number of sessions or users: the rest are summed. */
export const MAX_LABELLED_SERIES = 50;
/** The label value under which the rest are summed: no session or user name has parentheses. */
export const OTHERS = '(others)';

/** The largest values by label, at most MAX_LABELLED_SERIES, the rest summed under OTHERS. */
function largest(values: ReadonlyMap<string, number>): [string, number][] {
  const sorted = [...values].sort(([, a], [, b]) => b - a);
  if (sorted.length <= MAX_LABELLED_SERIES) return sorted;
  const kept = sorted.slice(0, MAX_LABELLED_SERIES - 1);
  const rest = sorted.slice(MAX_LABELLED_SERIES - 1).reduce((sum, [, value]) => sum + value, 0);
  return [...kept, [OTHERS, rest]];
}
