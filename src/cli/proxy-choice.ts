import { BlockList, isIP } from 'node:net';
import { parseProxyUrl, usesTls, type BrokerTarget, type ProxySetting } from '../client/index.js';

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
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isLoopback(host) || exempted(host, url.port, variable(env, 'no_proxy')?.value ?? '')) return undefined;
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

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || /^::ffff:127\./.test(host));
}

/**
 * Whether NO_PROXY names the host: `*`; a name, which covers its subdomains too (a leading dot
 * changes nothing); an address or a CIDR block; any of them with `:PORT` for that port only.
 */
function exempted(host: string, port: string, noProxy: string): boolean {
  return noProxy
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .some((raw) => {
      if (raw === '*') return true;
      const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(raw.toLowerCase());
      const [name, only] = match === null ? [raw, undefined] : [match[1]!, match[2]];
      if (only !== undefined && only !== port) return false;
      if (name.includes('/')) return inBlock(host, name);
      const domain = name.replace(/^\*?\./, '');
      return host === domain || host.endsWith(`.${domain}`);
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
