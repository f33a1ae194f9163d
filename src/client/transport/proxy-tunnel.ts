import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { SocksClient } from 'socks';
import type { Deadline } from './deadline.js';
import { proxyEndpoint, type ProxySetting } from './proxy.js';

/**
 * The proxy would not, or could not, open the way to the broker. `lasting` when asking again the
 * same way will be refused again (a rule, credentials, a certificate); `aboutProxy` when the
 * failure is the proxy's own (not there, not trusted), not the way beyond it.
 */
export class ProxyFailure extends Error {
  readonly code = 'SKYPIPE_PROXY';
  constructor(
    message: string,
    readonly lasting: boolean,
    readonly aboutProxy = false,
  ) {
    super(message);
  }
}

/**
 * A TCP connection to host:port through the proxy, ready for the broker's protocol (TLS, if any,
 * is the caller's to start over it). HTTP proxies are asked with CONNECT, whatever the protocol
 * inside: a plain HTTP proxy would drop a WebSocket's Upgrade header.
 */
export async function openTunnel(proxy: ProxySetting, host: string, port: number, deadline: Deadline): Promise<Socket> {
  const endpoint = proxyEndpoint(proxy);
  const tunnel =
    endpoint.scheme === 'http' || endpoint.scheme === 'https'
      ? await connectThroughHttp(endpoint, host, port, deadline)
      : await connectThroughSocks(endpoint, host, port, deadline);
  // Each request waits for its answer (see connection.ts); TLS over the tunnel cannot reach this socket to say so.
  tunnel.setNoDelay(true);
  return tunnel;
}

type Endpoint = ReturnType<typeof proxyEndpoint>;

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'it hung up',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'no route to it',
  ENETUNREACH: 'no route to it',
};

/** What Node calls a certificate that no CA it trusts signed. */
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** The proxy itself could not be reached, did not answer, or (https://) failed its TLS checks. */
function unreachable(error: Error & { code?: string }, timeoutMs: number): ProxyFailure {
  const code = error.code ?? '';
  if (UNTRUSTED.has(code)) {
    return new ProxyFailure(
      'its TLS certificate is not signed by a CA this machine trusts (NODE_EXTRA_CA_CERTS=FILE adds one)',
      true,
      true,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new ProxyFailure(`its TLS certificate is not for this host name (${error.message})`, true, true);
  const reason = code === 'ETIMEDOUT' ? `no answer within ${timeoutMs / 1000} s` : (UNREACHABLE[code] ?? error.message);
  return new ProxyFailure(reason, false, true);
}

function connectThroughHttp(endpoint: Endpoint, host: string, port: number, deadline: Deadline): Promise<Socket> {
  const authority = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (endpoint.username !== undefined) {
    const pair = `${endpoint.username}:${endpoint.password ?? ''}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  const request = (endpoint.scheme === 'https' ? httpsRequest : httpRequest)({
    host: endpoint.host,
    port: endpoint.port,
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    // Node would take the name to check the proxy's certificate against from the Host header, the
    // broker's; '' checks an address against the certificate's addresses, without SNI.
    servername: isIP(endpoint.host) === 0 ? endpoint.host : '',
  });
  return new Promise((resolve, reject) => {
    // Not the socket's idle timeout: a proxy sending its answer a line at a time is never idle.
    const timer = setTimeout(() => request.destroy(deadline.expired()), deadline.leftMs());
    request.once('connect', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      clearTimeout(timer);
      if (response.statusCode === 200) {
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      } else {
        socket.destroy();
        reject(refusedConnect(response, endpoint, host, port));
      }
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(unreachable(error, deadline.timeoutMs));
    });
    request.end();
  });
}

function refusedConnect(response: IncomingMessage, endpoint: Endpoint, host: string, port: number): ProxyFailure {
  const status = `${response.statusCode} ${response.statusMessage ?? ''}`.trim();
  // 407 is the standard's answer; some proxies (tinyproxy) refuse credentials they asked for with 401.
  if (response.statusCode === 407 || (response.statusCode === 401 && endpoint.username !== undefined)) {
    return endpoint.username === undefined
      ? new ProxyFailure(`the proxy asks for credentials (${status}); put user:password@ in the proxy URL`, true)
      : new ProxyFailure(`the proxy refused the credentials in its URL (${status}); check user:password@ there`, true);
  }
  if ((response.statusCode ?? 0) >= 500) {
    return new ProxyFailure(
      `the proxy could not connect to ${host}:${port} (${status}); check the broker's host name and port`,
      false,
    );
  }
  const alternative = port === 443 ? '' : ', or use wss:// on port 443';
  return new ProxyFailure(
    `the proxy refused to connect to ${host}:${port} (${status}); it may not allow port ${port}: ask for it${alternative}`,
    true,
  );
}

/** What a SOCKS5 server's reply code means (RFC 1928), as the socks library names it. */
const SOCKS_REPLIES: Record<string, { text: string; lasting: boolean }> = {
  Failure: { text: 'a general failure of the SOCKS server', lasting: false },
  NotAllowed: { text: 'its rules do not allow this connection; ask for it', lasting: true },
  NetworkUnreachable: { text: 'the network is unreachable from the proxy', lasting: false },
  HostUnreachable: { text: "the broker's host is unreachable from the proxy; check its name", lasting: false },
  ConnectionRefused: {
    text: 'connection refused at the broker; is the broker running and the port right?',
    lasting: false,
  },
  TTLExpired: { text: 'the connection timed out beyond the proxy', lasting: false },
  CommandNotSupported: { text: 'the proxy does not support CONNECT', lasting: true },
  AddressNotSupported: { text: 'the proxy does not support this kind of address; try socks5h://', lasting: true },
};

async function connectThroughSocks(endpoint: Endpoint, host: string, port: number, deadline: Deadline) {
  // socks5:// resolves the broker's name here; socks5h:// leaves it to the proxy.
  const destination = endpoint.scheme === 'socks5' && isIP(host) === 0 ? await resolveHere(host) : host;
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: {
        host: endpoint.host,
        port: endpoint.port,
        type: 5,
        ...(endpoint.username !== undefined ? { userId: endpoint.username, password: endpoint.password ?? '' } : {}),
      },
      command: 'connect',
      destination: { host: destination, port },
      // The socks library's timeout spans the whole exchange with the proxy.
      timeout: deadline.leftMs(),
    });
    return socket;
  } catch (error) {
    throw socksFailure(error as Error, endpoint, host, port, deadline.timeoutMs);
  }
}

function socksFailure(error: Error, endpoint: Endpoint, host: string, port: number, timeoutMs: number): ProxyFailure {
  const reply = /rejected connection - (\w+)/.exec(error.message)?.[1];
  if (reply !== undefined) {
    const meaning = SOCKS_REPLIES[reply] ?? { text: `it answered ${reply}`, lasting: false };
    return new ProxyFailure(`the SOCKS proxy refused to connect to ${host}:${port}: ${meaning.text}`, meaning.lasting);
  }
  if (/no accepted authentication type/.test(error.message)) {
    return endpoint.username === undefined
      ? new ProxyFailure('the SOCKS proxy asks for credentials; put user:password@ in the proxy URL', true)
      : new ProxyFailure('the SOCKS proxy accepts none of the ways to log in that skypipe offers', true);
  }
  if (/Authentication failed/.test(error.message))
    return new ProxyFailure('the SOCKS proxy refused the credentials in its URL; check user:password@ there', true);
  if (/timed out/.test(error.message))
    return unreachable(Object.assign(new Error(error.message), { code: 'ETIMEDOUT' }), timeoutMs);
  const code = /\b(E[A-Z]+)\b/.exec(error.message)?.[1];
  return unreachable(Object.assign(new Error(error.message), code === undefined ? {} : { code }), timeoutMs);
}

async function resolveHere(host: string): Promise<string> {
  try {
    return (await lookup(host)).address;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ENOTFOUND' && code !== 'EAI_AGAIN') throw error;
    throw new ProxyFailure(
      `host ${host} not found on this machine; socks5:// looks names up here, socks5h:// has the proxy do it`,
      false,
    );
  }
}
