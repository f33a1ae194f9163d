import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipeError } from '../../protocol/errors.js';
import { configDir, writePrivateFile } from './config-dir.js';

/** Passwords kept outside a keychain: a JSON object from profile name to password, mode 0600. */
const FILE = 'secrets.json';

export const secretsPath = (): string => join(configDir(), FILE);

/** The passwords by profile name, in a map: no name can reach an object's inherited keys. */
function read(): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(secretsPath(), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new PipeError(`cannot read ${secretsPath()}: ${(error as Error).message}`);
  }
  const damaged = (why: string) =>
    new PipeError(`${secretsPath()} is damaged (${why}); remove it and log in again with 'skypipe login'`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw damaged((error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw damaged('not an object');
  const secrets = new Map<string, string>();
  for (const [name, password] of Object.entries(parsed)) {
    if (typeof password !== 'string') throw damaged(`the password of '${name}' is not a string`);
    secrets.set(name, password);
  }
  return secrets;
}

function write(secrets: Map<string, string>): void {
  try {
    writePrivateFile(FILE, `${JSON.stringify(Object.fromEntries(secrets), null, 2)}\n`);
  } catch (error) {
    throw new PipeError(`cannot save the password in ${secretsPath()}: ${(error as Error).message}`);
  }
}

export function readFileSecret(name: string): string | null {
  return read().get(name) ?? null;
}

export function writeFileSecret(name: string, password: string): void {
  write(read().set(name, password));
}

/** Whether there was one to delete. */
export function deleteFileSecret(name: string): boolean {
  const secrets = read();
  if (!secrets.delete(name)) return false;
  write(secrets);
  return true;
}
