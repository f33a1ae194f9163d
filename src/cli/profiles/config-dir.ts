import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** skypipe's configuration directory: $XDG_CONFIG_HOME/skypipe, or ~/.config/skypipe. */
export function configDir(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.config'), 'skypipe');
}

/**
 * Writes `text` to `name` in the configuration directory, readable only by its owner, at once: a
 * reader sees the old file or the new one, never half of one.
 */
export function writePrivateFile(name: string, text: string): string {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  // A name no one can guess, created new (never through a link someone left there), and gone if the write fails.
  const partial = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    writeFileSync(partial, text, { mode: 0o600, flag: 'wx' });
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  return path;
}
