/** The port each broker scheme stands for when its URL names none. */
const DEFAULT_BROKER_PORTS: Record<string, number> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };

/**
 * The port a broker URL means. Read it here, never from `url.port` alone: WHATWG URL leaves out
 * the default port of ws:// (80) and wss:// (443), whatever the URL said, and `Number('')` is 0.
 */
export function portOf(url: URL | string): number {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.port !== '') return Number(parsed.port);
  const port = DEFAULT_BROKER_PORTS[parsed.protocol];
  if (port === undefined) throw new Error(`no default port for scheme '${parsed.protocol}'`);
  return port;
}

/** The host a URL names as sockets take it: an IPv6 address without the brackets URL keeps around it. */
export function hostnameOf(url: URL | string): string {
  return (typeof url === 'string' ? new URL(url) : url).hostname.replace(/^\[(.*)\]$/, '$1');
}
