import { PipeError } from '../../protocol/errors.js';
import { portOf } from './url-parts.js';
import type { ProxySetting } from './proxy.js';
import { redactUserInfo } from '../../protocol/redact-url.js';
import type { TlsTrust } from './tls-trust.js';

/** Where the client connects, and how to name it in messages. */
export interface BrokerTarget {
  url: string;
  username?: string;
  password?: string;
  /** Shown in errors: where this address came from ("--url", "SKYPIPE_URL", "the local sky"). */
  origin: string;
  /** 5 or 4 (3.1.1) once known; until then a connection tries MQTT 5 first. */
  protocolVersion?: 4 | 5;
  /** Hears that a broker refused MQTT 5 and speaks 3.1.1: the caller may remember it for next time. */
  speaksOnly311?: () => void;
  /** For mqtts:// and wss://: a pinned fingerprint or CA beyond the system's CAs. */
  tls?: TlsTrust;
  /** The proxy to reach the broker through; none: straight to it. */
  proxy?: ProxySetting;
  /**
   * For a broker the client itself started: starts it again if its process is gone, before the
   * next attempt to reconnect. It may move `url` to the port the broker came back on.
   */
  revive?: () => Promise<void>;
}

const SCHEMES = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:']);

/** Checks a user-given broker URL and splits credentials out of it. */
export function parseBrokerUrl(raw: string, origin: string, username?: string, password?: string): BrokerTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PipeError(
      `${origin}: '${redactUserInfo(raw)}' is not a URL; use mqtt://HOST:PORT (or mqtts://, ws://, wss://)`,
      'usage',
    );
  }
  if (!SCHEMES.has(url.protocol)) {
    throw new PipeError(
      `${origin}: scheme '${url.protocol}' is not supported; use mqtt://, mqtts://, ws:// or wss://`,
      'usage',
    );
  }
  if (url.hostname === '')
    throw new PipeError(`${origin}: '${redactUserInfo(raw)}' names no host; use mqtt://HOST:PORT`, 'usage');
  const target: BrokerTarget = { url: '', origin };
  const user = username ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
  const pass = password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
  if (user !== undefined) target.username = user;
  if (pass !== undefined) target.password = pass;
  url.username = '';
  url.password = '';
  // Shown in messages with its port; URL drops it again for ws://:80 and wss://:443.
  url.port = String(portOf(url));
  target.url = url.toString().replace(/\/$/, url.protocol.startsWith('ws') ? '/' : '');
  return target;
}

/** The URL as shown to the user: never with a password. */
export function describeTarget(target: BrokerTarget): string {
  return target.username !== undefined ? target.url.replace('://', `://${target.username}@`) : target.url;
}
