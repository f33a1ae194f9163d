import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import type { BrokerLimits } from '../../protocol/advertisement.js';
import { PipeError } from '../../protocol/errors.js';
import { hostnameOf, portOf } from './url-parts.js';
import type { BrokerTarget } from './broker-target.js';
import { connectFailure, HUNG_UP_IN_HANDSHAKE } from './connect-failure.js';
import { withSchemeAdvice } from './scheme-mismatch.js';
import { Deadline } from './deadline.js';
import { deliverWithDeferredAcks } from './deferred-acks.js';
import { DEFAULT_TRANSPORT_TIMINGS, type TransportTimings } from './timings.js';
import { clientOverTunnel } from './proxied-client.js';
import { openTunnel } from './proxy-tunnel.js';
import { tlsOptions } from './tls-trust.js';
import { storeWithoutCopy } from './uncopied-store.js';

export interface ConnectOptions {
  clientId: string;
  clean: boolean;
  will?: { topic: string; payload: Buffer; retain: boolean; qos: 0 | 1 };
  /**
   * Called for each incoming PUBLISH; `ack` sends its PUBACK. Installed before the connection
   * opens: a broker may send a persistent session's queued messages in the same read as the CONNACK.
   */
  deliver?: (packet: IPublishPacket, ack: () => void) => void;
}

export interface Connection {
  client: MqttClient;
  sessionPresent: boolean;
  /** What the broker's CONNACK said, under MQTT 5; undefined when it set no limit or speaks 3.1.1. */
  limits: BrokerLimits;
}

/** MQTT 5 session expiry for a durable session: the largest value, which means never. */
const SESSION_NEVER_EXPIRES = 0xffffffff;
/** MQTT 5 reason code in a DISCONNECT: another connection took this client id over. */
const SESSION_TAKEN_OVER = 0x8e;

const takenOver = new WeakSet<MqttClient>();

/** Whether the broker said (MQTT 5) that another connection with the same client id took this one over. */
export function wasTakenOver(client: MqttClient): boolean {
  return takenOver.has(client);
}

/** Refused for its protocol version: the broker does not speak MQTT 5. */
class ProtocolRefused extends Error {}

/**
 * Opens one MQTT connection, or fails with a one-line reason within the connect timeout. Speaks
 * MQTT 5 where the broker does, and MQTT 3.1.1 otherwise; the first connection to a broker finds
 * out which, and `target` remembers it for the others.
 */
export async function connect(
  target: BrokerTarget,
  options: ConnectOptions,
  timings: TransportTimings = DEFAULT_TRANSPORT_TIMINGS,
): Promise<Connection> {
  if (target.protocolVersion !== 4) {
    try {
      const connection = await connectWith(target, options, 5, timings);
      target.protocolVersion = 5;
      return connection;
    } catch (error) {
      if (!(error instanceof ProtocolRefused)) throw error;
      // A broker that spoke MQTT 5 before does not stop: the network closed this connection.
      if (target.protocolVersion === 5) throw connectFailure(target, new Error(HUNG_UP_IN_HANDSHAKE));
      target.protocolVersion = 4;
      target.speaksOnly311?.();
    }
  }
  return connectWith(target, options, 4, timings);
}

async function connectWith(
  target: BrokerTarget,
  options: ConnectOptions,
  protocolVersion: 4 | 5,
  timings: TransportTimings,
): Promise<Connection> {
  const deadline = new Deadline(timings.connectTimeoutMs);
  const broker = new URL(target.url);
  const proxy = target.proxy;
  const tunnel =
    proxy === undefined ? undefined : () => openTunnel(proxy, hostnameOf(broker), portOf(broker), deadline);
  let tls;
  let tunnelled;
  try {
    tls = await tlsOptions(target.url, target.tls, deadline, tunnel);
    tunnelled = await tunnel?.();
  } catch (error) {
    throw connectFailure(target, await withSchemeAdvice(target, error as Error, timings.schemeProbeMs));
  }
  const clientOptions: IClientOptions = {
    ...tls,
    clientId: options.clientId,
    clean: options.clean,
    protocolVersion,
    manualConnect: true,
    reconnectPeriod: 0,
    connectTimeout: deadline.leftMs(),
    // MQTT.js uses the broker's keep-alive instead when its CONNACK names one (MQTT 5).
    keepalive: 30,
  };
  // Under MQTT 5 a session ends with its connection unless it has an expiry: a mailbox must outlive it.
  if (protocolVersion === 5)
    clientOptions.properties = { sessionExpiryInterval: options.clean ? 0 : SESSION_NEVER_EXPIRES };
  if (target.username !== undefined) clientOptions.username = target.username;
  if (target.password !== undefined) clientOptions.password = target.password;
  if (options.will) clientOptions.will = options.will;
  const client =
    tunnelled === undefined
      ? mqtt.connect(target.url, clientOptions)
      : clientOverTunnel(target.url, tunnelled, clientOptions);
  // Every request waiting for the broker's answer listens for the close: up to the frames in
  // flight and a few more. Node would warn on stderr past 10.
  client.setMaxListeners(64);
  storeWithoutCopy(client);
  if (options.deliver) deliverWithDeferredAcks(client, options.deliver);
  client.on('disconnect', (packet) => {
    if (packet.reasonCode === SESSION_TAKEN_OVER) takenOver.add(client);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(deadline.expired()), deadline.leftMs());
    const fail = (error: Error & { code?: string | number }) => {
      clearTimeout(timer);
      // Once: the close that ending the client causes must not fail it a second way.
      client.removeAllListeners('connect');
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      client.on('error', () => {}); // what the ended client still reports is no news
      client.end(true);
      // 1: a 3.1.1 broker's "unacceptable protocol version"; 0x84: the same from an MQTT 5 broker.
      if (protocolVersion === 5 && (error.code === 1 || error.code === 0x84)) reject(new ProtocolRefused());
      else
        void withSchemeAdvice(target, error, timings.schemeProbeMs).then((advised) =>
          reject(connectFailure(target, advised)),
        );
    };
    client.once('connect', (connack) => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      const limits: BrokerLimits = {};
      if (connack.properties?.maximumPacketSize !== undefined)
        limits.maximumPacketSize = connack.properties.maximumPacketSize;
      if (connack.properties?.receiveMaximum !== undefined) limits.receiveMaximum = connack.properties.receiveMaximum;
      resolve({ client, sessionPresent: connack.sessionPresent, limits });
    });
    // A broker that does not know MQTT 5 may just hang up; 3.1.1 is tried next.
    const onClose = () =>
      protocolVersion === 5
        ? fail(Object.assign(new Error('closed'), { code: 1 }))
        : fail(new Error(HUNG_UP_IN_HANDSHAKE));
    client.once('error', fail);
    client.once('close', onClose);
    client.connect();
    // Each request waits for its answer: Nagle's algorithm would hold it for the broker's delayed ACK (~40 ms).
    (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
  });
}

/** The connection closed before the broker answered. */
export class ConnectionClosed extends PipeError {
  constructor() {
    super('the connection to the broker closed');
  }
}

/**
 * Runs one request that the broker answers, failing with ConnectionClosed if the connection goes
 * first: MQTT.js keeps such a request for a reconnect that skypipe does itself, and would never answer.
 */
function answered<T>(
  client: MqttClient,
  request: (answer: (error: Error | null, value: T) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return reject(new ConnectionClosed());
    const onClose = () => reject(new ConnectionClosed());
    client.once('close', onClose);
    request((error, value) => {
      client.removeListener('close', onClose);
      // MQTT.js fails what is pending with an error of its own just before it reports the
      // close, so whether the connection is gone is known a moment later.
      if (error) setImmediate(() => reject(client.connected ? error : new ConnectionClosed()));
      else resolve(value);
    });
  });
}

/** Subscribes and fails if the broker refuses (SUBACK 0x80). */
export async function subscribe(client: MqttClient, topics: string[], qos: 0 | 1): Promise<void> {
  const granted = await answered<ISubscriptionGrant[]>(client, (answer) =>
    client.subscribe(topics, { qos }, (error, grants) =>
      answer(
        error ? new PipeError(`the broker refused a subscription: ${error.message}`, 'error', { cause: error }) : null,
        grants ?? [],
      ),
    ),
  );
  const refused = granted.find((grant) => grant.qos === 128);
  if (refused)
    throw new PipeError(`the broker refused to subscribe to '${refused.topic}'; the user may lack permission`);
}

export function publish(
  client: MqttClient,
  topic: string,
  payload: Buffer | string,
  options: { qos: 0 | 1; retain?: boolean },
): Promise<void> {
  return answered<void>(client, (answer) =>
    client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (error) =>
      answer(
        error ? new PipeError(`publishing to the broker failed: ${error.message}`, 'error', { cause: error }) : null,
        undefined,
      ),
    ),
  );
}

/**
 * Disconnects cleanly (sending DISCONNECT, so no Will fires) after what is queued is sent. A
 * connection that drops meanwhile is done too: MQTT.js would wait for the answers to what it had
 * in flight forever.
 */
export function disconnect(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) {
      client.end(true, () => resolve());
      return;
    }
    const dropped = () => client.end(true, () => resolve());
    client.once('close', dropped);
    client.end(false, () => {
      client.removeListener('close', dropped);
      resolve();
    });
  });
}

/** 23 characters from [0-9a-z]: the longest client id every MQTT 3.1.1 broker must accept. */
export function randomClientId(role: 'sender' | 'receiver' | 'listener' | 'probe'): string {
  return `sp${role[0]}${randomBytes(10).toString('hex')}`;
}
