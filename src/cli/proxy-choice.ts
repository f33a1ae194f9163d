import { BlockList, isIP } from 'node:net';
import { parseProxyUrl, portOf, usesTls, type BrokerTarget, type ProxySetting } from '../client/index.js';

/**
 * The proxy to reach a broker through, by curl's conventions: --proxy when given ('' for none),
 * else HTTPS_PROXY for mqtts:// and wss://, HTTP_PROXY for mqtt:// and ws://, else ALL_PROXY
 * (each lower-case first), unless NO_PROXY names the broker. A broker on this machine is reached
 * straight, unless --proxy says otherwise.
 */
export function chooseProxy(
  target: BrokerTarget,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ProxySetting | undefined {
  if (flag !== undefined) return flag === '' ? undefined : parseProxyUrl(flag, '--proxy');
  const url = new URL(target.url);
  const host = canonicalHost(url.hostname);
  if (isLoopback(host) || exempted(host, portOf(url), variable(env, 'no_proxy')?.value ?? '')) return undefined;
  const chosen = variable(env, usesTls(target.url) ? 'https_proxy' : 'http_proxy') ?? variable(env, 'all_proxy');
  return chosen === undefined ? undefined : parseProxyUrl(chosen.value, chosen.name);
}

function variable(env: NodeJS.ProcessEnv, lowerCase: string): { name: string; value: string } | undefined {
  for (const name of [lowerCase, lowerCase.toUpperCase()]) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return { name, value: value.trim() };
  }
  return undefined;
}

/**
 * A host name or address in one spelling, without brackets: lower case, IPv4 in dotted quads
 * (mqtt:// URLs leave '127.1' as it is), IPv6 compressed ('::ffff:127.0.0.1' is '::ffff:7f00:1').
 */
function canonicalHost(raw: string): string {
  const bare = raw.replace(/^\[(.*)\]$/, '$1');
  try {
    // http:// is a special scheme: URL reads its host as an address when it is one, and normalises it.
    return new URL(`http://${isIP(bare) === 6 ? `[${bare}]` : bare}`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return bare.toLowerCase();
  }
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether a canonical host is this machine: localhost, 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  // A BlockList checks an IPv4-mapped IPv6 address against its IPv4 rules too.
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** One NO_PROXY entry: a name, an address or a CIDR block, with the port it is for, if any. */
function parseEntry(raw: string): { name: string; port?: number } {
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(raw);
  if (bracketed !== null)
    return bracketed[2] === undefined ? { name: bracketed[1]! } : { name: bracketed[1]!, port: Number(bracketed[2]) };
  // A bare IPv6 address or block: its colons are not a port's.
  if (isIP(raw) === 6 || (raw.includes('/') && isIP(raw.split('/')[0]!) === 6)) return { name: raw };
  const withPort = /^(.*):(\d+)$/.exec(raw);
  return withPort === null ? { name: raw } : { name: withPort[1]!, port: Number(withPort[2]) };
}

/**
 * Whether NO_PROXY names the host: `*`; a name, which covers its subdomains too (a leading dot
 * changes nothing); an address or a CIDR block; any of them with `:PORT` for that port only (a
 * URL without a port stands for its scheme's).
 */
function exempted(host: string, port: number, noProxy: string): boolean {
  return noProxy
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .some((raw) => {
      if (raw === '*') return true;
      const entry = parseEntry(raw);
      if (entry.port !== undefined && entry.port !== port) return false;
      if (entry.name.includes('/')) return inBlock(host, entry.name);
      const domain = canonicalHost(entry.name.replace(/^\*?\./, ''));
      // An address has no subdomains: '1.2.3' must not cover 10.1.2.3.
      return host === domain || (isIP(host) === 0 && host.endsWith(`.${domain}`));
    });
}

function inBlock(host: string, cidr: string): boolean {
  const [network, bits] = cidr.split('/');
  const family = isIP(network ?? '');
  if (family === 0 || isIP(host) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const blocks = new BlockList();
  try {
    blocks.addSubnet(network!, Number(bits), type);
  } catch {
    return false;
  }
  return blocks.check(host, type);
}
