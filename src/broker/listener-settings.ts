// What the command line settles about listeners; kept apart from the servers, which only the broker loads.

/** MQTT over TCP, over TLS, over WebSocket, over secure WebSocket (the last gets out through HTTPS proxies on 443). */
export type ListenerKind = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export const LISTENER_KINDS: readonly ListenerKind[] = ['mqtt', 'mqtts', 'ws', 'wss'];

export interface ListenerSettings {
  kind: ListenerKind;
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/** The server certificate chain and its key, in PEM, for mqtts and wss. */
export interface TlsCredentials {
  cert: string;
  key: string;
}

export const needsTls = (kind: ListenerKind): boolean => kind === 'mqtts' || kind === 'wss';
