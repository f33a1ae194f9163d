import { PipeError } from '../../protocol/errors.js';
import { redactUserInfo } from '../../protocol/redact-url.js';

/** A proxy the client reaches the broker through, and where its address came from. */
export interface ProxySetting {
  /** http://, https://, socks5:// or socks5h://, with user:password@ when the proxy wants them. */
  url: string;
  /** Shown in errors: "--proxy", "HTTPS_PROXY", … */
  origin: string;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'socks5:': '1080', 'socks5h:': '1080' };

/** Checks a proxy URL as given by --proxy or one of the *_PROXY variables. */
export function parseProxyUrl(raw: string, origin: string): ProxySetting {
  let url: URL;
  try {
    // curl's convention: a proxy without a scheme is an HTTP proxy.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new PipeError(
      `${origin}: '${redactUserInfo(raw)}' is not a proxy URL; use http://HOST:PORT or socks5h://HOST:PORT`,
      'usage',
    );
  }
  if (DEFAULT_PORTS[url.protocol] === undefined) {
    throw new PipeError(
      `${origin}: proxy scheme '${url.protocol}' is not supported; use http://, https://, socks5:// or socks5h://`,
      'usage',
    );
  }
  if (url.hostname === '') throw new PipeError(`${origin}: the proxy URL names no host`, 'usage');
  // URL leaves out the default port of http:// and https://; socks5:// has none of its own.
  if (url.port === '') url.port = DEFAULT_PORTS[url.protocol]!;
  return { url: `${url.protocol}//${userInfo(url)}${url.host}`, origin };
}

function userInfo(url: URL): string {
  if (url.username === '' && url.password === '') return '';
  return url.password === '' ? `${url.username}@` : `${url.username}:${url.password}@`;
}

/** The proxy as shown to the user: never with its password. */
export function describeProxy(proxy: ProxySetting): string {
  return `${redactUserInfo(proxy.url)} (from ${proxy.origin})`;
}

/** The proxy's address and credentials, decoded. */
export function proxyEndpoint(proxy: ProxySetting): {
  scheme: 'http' | 'https' | 'socks5' | 'socks5h';
  host: string;
  port: number;
  username?: string;
  password?: string;
} {
  const url = new URL(proxy.url);
  const endpoint: ReturnType<typeof proxyEndpoint> = {
    scheme: url.protocol.slice(0, -1) as 'http' | 'https' | 'socks5' | 'socks5h',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || DEFAULT_PORTS[url.protocol]),
  };
  if (url.username !== '') endpoint.username = decodeURIComponent(url.username);
  if (url.password !== '') endpoint.password = decodeURIComponent(url.password);
  return endpoint;
}
