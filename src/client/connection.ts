import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type IPublishPacket, type ISubscriptionGrant, type MqttClient } from 'mqtt';
import { deliverWithDeferredAcks } from './deferred-acks.js';
import { describeTarget, type BrokerTarget } from './broker-target.js';
import { PipeError } from './errors.js';

export const CONNECT_TIMEOUT_MS = 10_000;

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
}

/** CONNACK return codes of MQTT 3.1.1 and the one-line advice for each. */
const REFUSALS: Record<number, string> = {
  1: 'the broker does not speak MQTT 3.1.1',
  2: 'the broker refused the client id',
  3: 'the broker is unavailable',
  4: 'the broker refused the username or password; check --username/--password or the URL',
  5: 'the broker says this user is not authorized',
};

function describeConnectFailure(target: BrokerTarget, error: Error & { code?: string | number }): string {
  const where = `${describeTarget(target)} (from ${target.origin})`;
  if (typeof error.code === 'number' && REFUSALS[error.code] !== undefined) return `cannot use broker ${where}: ${REFUSALS[error.code]}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `cannot reach broker ${where}: connection refused; is the broker running and the port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach broker ${where}: host not found; check the host name`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach broker ${where}: no route or no answer; check the address and the network`;
    default:
      return `cannot reach broker ${where}: ${error.message}`;
  }
}

/** Opens one MQTT connection, or fails with a one-line reason within CONNECT_TIMEOUT_MS. */
export function connect(target: BrokerTarget, options: ConnectOptions): Promise<Connection> {
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    clean: options.clean,
    protocolVersion: 4,
    manualConnect: true,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    keepalive: 30,
  };
  if (target.username !== undefined) clientOptions.username = target.username;
  if (target.password !== undefined) clientOptions.password = target.password;
  if (options.will) clientOptions.will = options.will;
  const client = mqtt.connect(target.url, clientOptions);
  if (options.deliver) deliverWithDeferredAcks(client, options.deliver);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      client.removeAllListeners('connect');
      client.end(true);
      reject(new PipeError(describeConnectFailure(target, error)));
    };
    client.once('connect', (connack) => {
      clearTimeout(timer);
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      resolve({ client, sessionPresent: connack.sessionPresent });
    });
    const onClose = () => fail(new Error('the broker closed the connection during the handshake'));
    client.once('error', fail);
    client.once('close', onClose);
    client.connect();
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
function answered<T>(client: MqttClient, request: (answer: (error: Error | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return reject(new ConnectionClosed());
    const onClose = () => reject(new ConnectionClosed());
    client.once('close', onClose);
    request((error, value) => {
      client.removeListener('close', onClose);
      if (error) reject(error);
      else resolve(value);
    });
  });
}

/** Subscribes and fails if the broker refuses (SUBACK 0x80). */
export async function subscribe(client: MqttClient, topics: string[], qos: 0 | 1): Promise<void> {
  const granted = await answered<ISubscriptionGrant[]>(client, (answer) =>
    client.subscribe(topics, { qos }, (error, grants) => answer(error ? new PipeError(`the broker refused a subscription: ${error.message}`) : null, grants ?? [])),
  );
  const refused = granted.find((grant) => grant.qos === 128);
  if (refused) throw new PipeError(`the broker refused to subscribe to '${refused.topic}'; the user may lack permission`);
}

export function publish(client: MqttClient, topic: string, payload: Buffer | string, options: { qos: 0 | 1; retain?: boolean }): Promise<void> {
  return answered<void>(client, (answer) =>
    client.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (error) =>
      answer(error ? new PipeError(`publishing to the broker failed: ${error.message}`) : null, undefined),
    ),
  );
}

/** Disconnects cleanly (sending DISCONNECT, so no Will fires) after what is queued is sent. */
export function disconnect(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) {
      client.end(true, () => resolve());
      return;
    }
    client.end(false, () => resolve());
  });
}

/** 23 characters from [0-9a-z]: the longest client id every MQTT 3.1.1 broker must accept. */
export function randomClientId(role: 'sender' | 'receiver' | 'listener' | 'probe'): string {
  return `sp${role[0]}${randomBytes(10).toString('hex')}`;
}
