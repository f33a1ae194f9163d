import type { MqttClient } from 'mqtt';
import { ConnectionClosed, publish, subscribe } from './connection.js';

let echoes = 0;

/**
 * Subscribes `client` to `topic` and resolves once the broker has delivered any retained message
 * there: brokers send retained messages right after the SUBACK, before they answer anything the
 * client publishes later, so an echo through a topic of the client's own marks the point where
 * "nothing arrived" means "nothing is retained". Returns the retained payload, or null.
 * With `keep`, the subscription stays for live updates.
 *
 * QoS 0 is enough on a live connection, and far cheaper on brokers that back every QoS 1
 * subscription with a durable consumer (NATS): a thousand senders starting at once made NATS
 * close connections.
 */
export async function readRetained(
  client: MqttClient,
  topic: string,
  echoBase: string,
  keep = false,
): Promise<Buffer | null> {
  return (await readRetainedTopics(client, [topic], echoBase, keep ? [topic] : [])).get(topic) ?? null;
}

/**
 * readRetained for several topics in one exchange: one SUBSCRIBE, one echo. The topics in `keep`
 * stay subscribed. Returns each topic's retained payload, or null.
 */
export async function readRetainedTopics(
  client: MqttClient,
  topics: string[],
  echoBase: string,
  keep: string[] = [],
): Promise<Map<string, Buffer | null>> {
  const retained = new Map<string, Buffer | null>(topics.map((topic) => [topic, null]));
  await throughEcho(client, topics, echoBase, keep, (topic, payload) => {
    if (retained.has(topic)) retained.set(topic, payload);
  });
  return retained;
}

/**
 * The retained messages under topic filters (wildcards allowed), read in one exchange as
 * readRetained reads one topic; cleared records (empty payloads) are left out.
 */
export async function readRetainedMatching(
  client: MqttClient,
  filters: string[],
  echoBase: string,
): Promise<Map<string, Buffer>> {
  const retained = new Map<string, Buffer>();
  await throughEcho(client, filters, echoBase, [], (topic, payload, packet) => {
    if (packet.retain && payload.length > 0) retained.set(topic, payload);
  });
  return retained;
}

/**
 * Subscribes to `filters` and an echo topic in one SUBSCRIBE, hands `heard` what arrives on the
 * filters until the echo comes back, then unsubscribes from all but `keep`.
 */
async function throughEcho(
  client: MqttClient,
  filters: string[],
  echoBase: string,
  keep: string[],
  heard: (topic: string, payload: Buffer, packet: { retain: boolean }) => void,
): Promise<void> {
  const echoTopic = `${echoBase}/${(echoes += 1)}`;
  const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean }) => {
    if (topic !== echoTopic) heard(topic, payload, packet);
  };
  client.on('message', onMessage);
  try {
    await echoThrough(client, echoTopic, () => subscribe(client, [...filters, echoTopic], 0));
  } finally {
    client.removeListener('message', onMessage);
    if (client.connected) client.unsubscribe([echoTopic, ...filters.filter((filter) => !keep.includes(filter))]);
  }
}

/**
 * Publishes to a topic of the client's own and waits for it to come back. Brokers handle one
 * client's packets in order, so everything the client published before has been processed
 * (stored, for a durable broker) by then.
 */
export async function roundTrip(client: MqttClient, echoBase: string): Promise<void> {
  const echoTopic = `${echoBase}/${(echoes += 1)}`;
  try {
    await echoThrough(client, echoTopic, () => subscribe(client, [echoTopic], 0));
  } finally {
    if (client.connected) client.unsubscribe(echoTopic);
  }
}

/** Subscribes (`subscribing` includes `echoTopic`), publishes to `echoTopic` and waits for it to come back; fails if the connection closes. */
async function echoThrough(client: MqttClient, echoTopic: string, subscribing: () => Promise<void>): Promise<void> {
  if (!client.connected) throw new ConnectionClosed();
  let echoed: () => void = () => {};
  let closed: (error: Error) => void = () => {};
  const echo = new Promise<void>((resolve, reject) => {
    echoed = resolve;
    closed = reject;
  });
  // Closing also fails the subscribe or publish under way, which then goes first: not unhandled.
  echo.catch(() => {});
  const onMessage = (incoming: string) => {
    if (incoming === echoTopic) echoed();
  };
  const onClose = () => closed(new ConnectionClosed());
  client.on('message', onMessage);
  client.once('close', onClose);
  try {
    await subscribing();
    await publish(client, echoTopic, Buffer.alloc(0), { qos: 1 });
    await echo;
  } finally {
    client.removeListener('message', onMessage);
    client.removeListener('close', onClose);
  }
}
