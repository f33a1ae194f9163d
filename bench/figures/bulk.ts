// Bulk throughput: `skypipe send | skypipe recv` beside a bare MQTT.js publisher and a clean
// subscriber through the same broker, our durable one and stock Mosquitto.
import { bareBulkSeconds } from '../bare-mqtt.js';
import { bareRelayBulkSeconds } from '../bare-relay.js';
import type { Context, Figure } from '../context.js';
import type { Measurement } from '../figure.js';
import type { Scope } from '../scope.js';
import { skypipeBulk } from '../skypipe-bulk.js';
import { MIB } from '../stats.js';

async function bulkThrough(where: string, url: string, context: Context, scope: Scope): Promise<Measurement> {
  const mib = context.settings.bulkMiB;
  // Back to back, so that on a shared machine both see about the same load.
  const bareSeconds = await bareBulkSeconds(url, mib * MIB, scope);
  const run = await skypipeBulk(scope.sky(), url, 'bulk', mib, scope);
  const relaySeconds = await bareRelayBulkSeconds(url, mib, scope);
  context.senderPeaks.push({ where, bytes: run.senderPeakBytes });
  return {
    value: mib / run.seconds,
    anchor: mib / bareSeconds,
    notes: [
      `${mib} MiB; skypipe timed from the sender's start to the receiver's end, the anchor from its publisher's connect`,
      `skypipe ${run.seconds.toFixed(1)} s, bare MQTT.js (1 MiB QoS 1, 16 in flight, clean subscriber) ${bareSeconds.toFixed(1)} s`,
      `a bare MQTT.js relay in skypipe's place (two processes, stdin to stdout, same feeder, broker and wc): ${(mib / relaySeconds).toFixed(0)} MiB/s, ${relaySeconds.toFixed(1)} s`,
    ],
  };
}

export const bulkOurs: Figure = {
  spec: {
    id: 'bulk-ours',
    title: 'bulk, our durable broker',
    unit: 'MiB/s',
    anchorName: 'bare MQTT.js through the same broker',
    better: 'higher',
    goalRatio: 0.8,
  },
  budgetSeconds: 200,
  async measure(context, scope) {
    const broker = await context.brokers.ours();
    return bulkThrough('our broker', broker.url, context, scope);
  },
};

export const bulkMosquitto: Figure = {
  spec: {
    id: 'bulk-mosquitto',
    title: 'bulk, stock Mosquitto',
    unit: 'MiB/s',
    anchorName: 'bare MQTT.js through the same Mosquitto',
    better: 'higher',
    goalRatio: 0.8,
  },
  budgetSeconds: 120,
  async measure(context, scope) {
    const broker = await context.brokers.stock('mosquitto');
    return bulkThrough('Mosquitto', broker.url, context, scope);
  },
};
