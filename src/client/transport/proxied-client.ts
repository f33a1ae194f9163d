import mqtt, { MqttClient, type IClientOptions } from 'mqtt';
import type { ClientRequestArgs } from 'node:http';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import { sniFor, usesTls } from './tls-trust.js';
import { hostnameOf } from './url-parts.js';

/**
 * An MQTT.js client, not connected yet, whose connection to the broker at `url` runs over
 * `tunnel` (a connection through a proxy, see proxy-tunnel.ts). TLS, for mqtts:// and wss://, runs
 * end to end over it with the same checks as a direct connection: the CAs, the host name and the
 * pin in `options`.
 */
export function clientOverTunnel(url: string, tunnel: Socket, options: IClientOptions): MqttClient {
  const host = hostnameOf(url);
  const secure = usesTls(url);
  const overTls = (tls: ConnectionOptions) =>
    tlsConnect({ ...tls, path: undefined, socket: tunnel, host, ...sniFor(host) });
  if (url.startsWith('ws')) {
    // ws hands its TLS options (wsOptions, with the host name) to the connection it asks for.
    const createConnection = (request: ClientRequestArgs) => (secure ? overTls(request as ConnectionOptions) : tunnel);
    return mqtt.connect(url, {
      ...options,
      createWebsocket: (wsUrl: string, protocols: string[], opts: IClientOptions) =>
        new WebSocket(wsUrl, protocols, {
          ...opts.wsOptions,
          createConnection,
        }),
    });
  }
  // tlsOptions (tls-trust.ts) puts Node's TLS options among MQTT.js's.
  const { ca, rejectUnauthorized, checkServerIdentity } = options as ConnectionOptions;
  const tls: ConnectionOptions = {};
  if (ca !== undefined) tls.ca = ca;
  if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
  if (checkServerIdentity !== undefined) tls.checkServerIdentity = checkServerIdentity;
  return new MqttClient(() => (secure ? overTls(tls) : tunnel), options);
}
