import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer } from 'ws';
import { webSocketStream } from './web-socket-stream.js';
import { needsTls, type ListenerKind, type ListenerSettings, type TlsCredentials } from './listener-settings.js';

export interface OpenListener {
  kind: ListenerKind;
  /** The URL clients use, with the port actually bound. */
  url: string;
  port: number;
  /** Stops accepting connections; the broker closes the ones it has. */
  close(): Promise<void>;
}

/**
 * TLS 1.2 and 1.3 with forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20-Poly1305)
 * only: no CBC with SHA-1, no CCM8, no ARIA, nothing without ECDHE.
 */
const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

/** Node reads the certificate and key when the server is made: OpenSSL's complaint, named. */
function withCertificate<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new Error(`the certificate (--cert) or key (--key) is not usable: ${(error as Error).message}`);
  }
}

/**
 * Opens one listener that hands each client's byte stream, with its source address, to `handle`. A WebSocket message is
 * read whole before it is handed on: `maxPacketSize` bounds it (twice over, for a client that
 * puts two packets in one message).
 */
export async function openListener(
  settings: ListenerSettings,
  handle: (stream: Duplex, address: string) => void,
  tls: TlsCredentials | null,
  maxPacketSize: number,
): Promise<OpenListener> {
  const { kind, host, port } = settings;
  if (needsTls(kind) && tls === null)
    throw new Error(`a ${kind} listener needs a certificate and key (--cert and --key)`);
  let server: Server | HttpServer;
  let webSockets: WebSocketServer | null = null;
  // Without TCP_NODELAY every request/response exchange waits ~40 ms for the peer's delayed ACK.
  const handleSocket = (socket: Socket) => {
    socket.setNoDelay(true);
    handle(socket, socket.remoteAddress ?? '');
  };
  if (kind === 'mqtt') server = createTcpServer(handleSocket);
  else if (kind === 'mqtts')
    server = withCertificate(() => createTlsServer({ ...TLS_SETTINGS, cert: tls!.cert, key: tls!.key }, handleSocket));
  else {
    const http =
      kind === 'wss'
        ? withCertificate(() => createHttpsServer({ ...TLS_SETTINGS, cert: tls!.cert, key: tls!.key }))
        : createHttpServer();
    http.on('request', (_request, response) => {
      response
        .writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' })
        .end('MQTT over WebSocket: connect with a WebSocket client\n');
    });
    webSockets = new WebSocketServer({ server: http, maxPayload: 2 * maxPacketSize });
    webSockets.on('connection', (socket, request) => {
      request.socket.setNoDelay(true);
      handle(webSocketStream(socket), request.socket.remoteAddress ?? '');
    });
    server = http;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    const reason =
      error.code === 'EADDRINUSE'
        ? 'the port is in use'
        : error.code === 'EACCES'
          ? 'permission denied'
          : error.message;
    throw new Error(`cannot listen for ${kind} on ${host}:${port}: ${reason}`);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    kind,
    port: bound,
    url: `${kind}://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        webSockets?.close();
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
