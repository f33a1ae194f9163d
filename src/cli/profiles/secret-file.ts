import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipeError } from '../../protocol/errors.js';
import { configDir, writePrivateFile } from './config-dir.js';

/** Passwords kept outside a keychain: a JSON object from profile name to password, mode 0600. */
const FILE = 'secrets.json';

export const secretsPath = (): string => join(configDir(), FILE);

function read(): Record<string, string> {
  try {
    return JSON.parse(readFileSync(secretsPath(), 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new PipeError(`cannot read ${secretsPath()}: ${(error as Error).message}`);
  }
}

function write(secrets: Record<string, string>): void {
  try {
    writePrivateFile(FILE, `${JSON.stringify(secrets, null, 2)}\n`);
  } catch (error) {
    throw new PipeError(`cannot save the password in ${secretsPath()}: ${(error as Error).message}`);
  }
}

export function readFileSecret(name: string): string | null {
  return read()[name] ?? null;
}

export function writeFileSecret(name: string, password: string): void {
  write({ ...read(), [name]: password });
}

/** Whether there was one to delete. */
export function deleteFileSecret(name: string): boolean {
  const secrets = read();
  if (!(name in secrets)) return false;
  delete secrets[name];
  write(secrets);
  return true;
}
