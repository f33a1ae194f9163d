import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeTarget } from '../../client/index.js';
import { PipeError } from '../../protocol/errors.js';
import { configDir, writePrivateFile } from './config-dir.js';

/** Where a profile's password is kept: never in the profiles file itself. */
export type SecretPlace = 'keychain' | 'file' | 'none';

export interface Profile {
  name: string;
  /** The broker's URL, without user name or password. */
  url: string;
  username?: string;
  /** The TLS fingerprint to trust, as parsePin() writes it. */
  pin?: string;
  secret: SecretPlace;
}

export interface Profiles {
  default: string | null;
  profiles: Profile[];
}

const FILE = 'profiles.json';

export const profilesPath = (): string => join(configDir(), FILE);

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A usage error unless `name` can name a profile. */
export function checkProfileName(name: string): void {
  if (!NAME.test(name))
    throw new PipeError(
      `'${name}' is not a profile name: use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      'usage',
    );
}

/** The saved profiles; none when there is no file yet. */
export function readProfiles(): Profiles {
  let text: string;
  try {
    text = readFileSync(profilesPath(), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { default: null, profiles: [] };
    throw new PipeError(`cannot read ${profilesPath()}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as { default?: unknown; profiles?: unknown } | null;
    if (!Array.isArray(parsed?.profiles)) throw new Error('no list of profiles');
    const profiles = parsed.profiles.map(checkedProfile);
    const chosen = parsed.default ?? null;
    if (chosen !== null && !profiles.some((profile) => profile.name === chosen))
      throw new Error('the default is no profile');
    return { default: chosen as string | null, profiles };
  } catch (error) {
    throw new PipeError(
      `${profilesPath()} is damaged (${(error as Error).message}); remove it and log in again with 'skypipe login'`,
    );
  }
}

const SECRET_PLACES: readonly SecretPlace[] = ['keychain', 'file', 'none'];

/** A profile as read from the file, every field checked: the file may have been edited by hand. */
function checkedProfile(value: unknown): Profile {
  const { name, url, username, pin, secret } = (value ?? {}) as Record<string, unknown>;
  const optionalText = (field: unknown) => field === undefined || typeof field === 'string';
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`a profile named ${JSON.stringify(name)}`);
  if (typeof url !== 'string' || !optionalText(username) || !optionalText(pin))
    throw new Error(`profile '${name}' has a field of the wrong kind`);
  if (!SECRET_PLACES.includes(secret as SecretPlace))
    throw new Error(`profile '${name}' keeps its password nowhere known`);
  const profile: Profile = { name, url, secret: secret as SecretPlace };
  if (username !== undefined) profile.username = username as string;
  if (pin !== undefined) profile.pin = pin as string;
  return profile;
}

export function writeProfiles(profiles: Profiles): void {
  try {
    writePrivateFile(FILE, `${JSON.stringify(profiles, null, 2)}\n`);
  } catch (error) {
    throw new PipeError(`cannot save the profiles in ${profilesPath()}: ${(error as Error).message}`);
  }
}

/** The profile called `name`, or a usage error naming `skypipe profiles`. */
export function findProfile(profiles: Profiles, name: string, origin: string): Profile {
  const found = profiles.profiles.find((profile) => profile.name === name);
  if (found === undefined)
    throw new PipeError(`${origin}: no profile '${name}'; 'skypipe profiles' lists them`, 'usage');
  return found;
}

/** How a profile is shown: its URL with the user name, never a password. */
export const shownUrl = (profile: Profile): string =>
  describeTarget(
    profile.username === undefined
      ? { url: profile.url, origin: '' }
      : { url: profile.url, origin: '', username: profile.username },
  );
