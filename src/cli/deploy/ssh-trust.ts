import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The SSH directory whose keys and known_hosts the engine connection uses, as ssh itself does. */
export const sshDir = (): string => join(process.env.HOME || homedir(), '.ssh');

/** How known_hosts names a host: plain, or [host]:port off port 22. */
const knownName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt, hash] = pattern.slice(3).split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern.split(',').includes(name);
}

/**
 * Whether `key` (the server's host key, in SSH wire format) is the one ~/.ssh/known_hosts lists for
 * the host: the engine has root's powers, so an unknown host key is refused, not trusted on first use.
 */
export function isKnownHostKey(host: string, port: number, key: Buffer): boolean {
  const file = join(sshDir(), 'known_hosts');
  if (!existsSync(file)) return false;
  const name = knownName(host, port);
  const wanted = key.toString('base64');
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .some(
      ([hosts, , blob]) => hosts !== undefined && !hosts.startsWith('#') && blob === wanted && matches(hosts, name),
    );
}

/** The first private key ssh would offer by default, for when no agent runs. */
export function defaultPrivateKey(): Buffer | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const path = join(sshDir(), name);
    if (existsSync(path)) return readFileSync(path);
  }
  return undefined;
}

export const hostKeyHint = (host: string, port: number): string =>
  `the SSH host key of ${knownName(host, port)} is not in ${join(sshDir(), 'known_hosts')}; connect once with 'ssh${port === 22 ? '' : ` -p ${port}`} ${host}' to check and record it`;
