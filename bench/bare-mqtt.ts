// The anchors made of bare MQTT.js clients in the bench's own process: what the broker gives a
// client that does nothing more than MQTT asks.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { MIB } from './stats.js';
import type { Scope } from './scope.js';

const IN_FLIGHT = 16;

async function client(url: string, scope: Scope): Promise<mqtt.MqttClient> {
  const connected = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clean: true,
    clientId: `bench-${randomBytes(6).toString('hex')}`,
    reconnectPeriod: 0,
  });
  scope.defer(() => connected.end(true));
  return connected;
}

/**
 * Seconds to move `totalBytes` in 1 MiB QoS 1 messages, `IN_FLIGHT` unacknowledged at a time, into
 * a clean subscriber: from the publisher's connect (the subscriber is there already, as a receiver
 * would be) to the last byte at the subscriber.
 */
export async function bareBulkSeconds(url: string, totalBytes: number, scope: Scope): Promise<number> {
  const topic = `bench/bulk/${randomBytes(4).toString('hex')}`;
  const subscriber = await client(url, scope);
  await subscriber.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  const done = new Promise<void>((resolve) =>
    subscriber.on('message', (_topic, payload) => {
      received += payload.length;
      if (received >= totalBytes) resolve();
    }),
  );
  const started = performance.now();
  const publisher = await client(url, scope);
  const message = Buffer.alloc(MIB, 7);
  let inFlight = 0;
  let wake = () => {};
  for (let sent = 0; sent < totalBytes; sent += MIB) {
    scope.check();
    while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
    inFlight += 1;
    publisher.publish(topic, message, { qos: 1 }, () => {
      inFlight -= 1;
      wake();
    });
  }
  await done;
  return (performance.now() - started) / 1000;
}

/**
 * Milliseconds from a QoS 1 publish to its arrival at a subscriber, one message at a time, after
 * one that warms the path up.
 */
export async function bareLatencyMs(url: string, samples: number, scope: Scope): Promise<number[]> {
  const topic = `bench/line/${randomBytes(4).toString('hex')}`;
  const subscriber = await client(url, scope);
  await subscriber.subscribeAsync(topic, { qos: 1 });
  const publisher = await client(url, scope);
  let arrived = () => {};
  subscriber.on('message', () => arrived());
  const times: number[] = [];
  for (let sample = -1; sample < samples; sample++) {
    scope.check();
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const started = performance.now();
    publisher.publish(topic, `line ${sample}\n`, { qos: 1 });
    await arrival;
    if (sample >= 0) times.push(performance.now() - started);
  }
  return times;
}
