import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The broker's users file: one line per user, `NAME:scrypt:N:r:p:SALT:HASH` (salt and hash in
 * base64), readable by its owner only. Names are also topic levels and client id prefixes, so they
 * keep to letters, digits, `.`, `_` and `-`.
 */
export type Users = Map<string, string>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/**
 * scrypt's cost for new hashes: 2^14, r 8 (16 MiB), the parameters scrypt's author gives for
 * interactive logins. A check takes about 40 ms of a core here; 2^15 took 155 ms (its 32 MiB no
 * longer fit the caches), too slow for a fleet of users logging in again after a restart. Hashes
 * already in a users file keep the cost they were made with.
 */
const COST = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;

export function checkUserName(name: string): void {
  if (!NAME.test(name))
    throw new Error(
      `'${name}' is not a user name: use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
}

function derive(password: string, salt: Buffer, cost: typeof COST): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: 128 * cost.N * cost.r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return `scrypt:${COST.N}:${COST.r}:${COST.p}:${salt.toString('base64')}:${key.toString('base64')}`;
}

/** A hash at today's cost that no password matches: checked for unknown users, so they cost what known ones do. */
export function unmatchableHash(): string {
  return `scrypt:${COST.N}:${COST.r}:${COST.p}:${randomBytes(16).toString('base64')}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** Whether `password` matches a stored hash; false for a hash this version cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split(':');
  if (scheme !== 'scrypt' || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt!, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Reads the users file; a missing file is no users. */
export function readUsers(path: string): Users {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new Error(`cannot read the users file ${path}: ${(error as Error).message}`);
  }
  const users: Users = new Map();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const at = line.indexOf(':');
    const name = line.slice(0, at);
    if (at < 0 || !NAME.test(name) || !line.slice(at + 1).startsWith('scrypt:'))
      throw new Error(`${path}, line ${index + 1}: not NAME:scrypt:…; manage the file with 'skypipe broker user'`);
    users.set(name, line.slice(at + 1));
  });
  return users;
}

/** Replaces the users file at once (a reader never sees half of it), readable by its owner only. */
export function writeUsers(path: string, users: Users): void {
  const text = [...users].map(([name, hash]) => `${name}:${hash}\n`).join('');
  const temporary = `${path}.${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    throw new Error(`cannot write the users file ${path}: ${(error as Error).message}`);
  }
}

/**
 * The users a running broker knows: the file, read again when it changes (so that 'skypipe broker
 * user' takes effect without a restart), plus fixed users (from the environment).
 */
export class UserDirectory {
  private users: Users = new Map();
  private stamp = '';
  /** Bumped whenever the users change: remembered verifications of an older generation are void. */
  generation = 0;

  constructor(
    readonly path: string,
    private readonly fixed: Users,
  ) {
    this.refresh(true);
  }

  /**
   * Re-reads the file if it changed; keeps the last good read if it became unreadable. The first
   * read (`strict`) throws instead, so that a broken file stops the start with the line at fault.
   */
  refresh(strict = false): Users {
    let stamp = 'none';
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      // no file: no users from it
    }
    if (stamp !== this.stamp) {
      try {
        this.users = new Map([...(stamp === 'none' ? new Map() : readUsers(this.path)), ...this.fixed]);
        this.stamp = stamp;
        this.generation += 1;
      } catch (error) {
        // half-edited by hand, say: the last good read stands until it is fixed
        if (strict) throw error;
      }
    }
    return this.users;
  }

  get size(): number {
    return this.users.size;
  }
}
