import { PipeError } from '../../protocol/errors.js';
import { say } from '../messages.js';
import { keychain, KeychainUnavailable } from './keychain.js';
import type { SecretPlace } from './profile-store.js';
import { deleteFileSecret, readFileSecret, secretsPath, writeFileSecret } from './secret-file.js';

/** SKYPIPE_KEYCHAIN=off keeps passwords in the file: for boxes where a keychain would prompt or hang. */
export const keychainTurnedOff = (): boolean =>
  ['off', '0', 'no', 'false'].includes(process.env.SKYPIPE_KEYCHAIN ?? '');

let toldOfFallback = false;

/** Keeps the password of profile `name`: in the keychain when one answers, else in the file. Resolves with where. */
export async function storeSecret(name: string, password: string): Promise<Exclude<SecretPlace, 'none'>> {
  if (!keychainTurnedOff()) {
    try {
      await keychain({ op: 'set', account: name, password });
      deleteFileSecret(name);
      return 'keychain';
    } catch (error) {
      if (!(error instanceof KeychainUnavailable)) throw error;
      if (!toldOfFallback)
        say(
          `no keychain answered (${error.message}); passwords go to ${secretsPath()}, readable only by you (SKYPIPE_KEYCHAIN=off says this is meant)`,
        );
      toldOfFallback = true;
    }
  }
  writeFileSecret(name, password);
  return 'file';
}

/** The password of profile `name`, from where it was kept. */
export async function readSecret(name: string, place: SecretPlace): Promise<string | undefined> {
  if (place === 'none') return undefined;
  const lost = `the password of profile '${name}' is missing from ${describePlace(place)}; run 'skypipe login' again`;
  if (place === 'file') {
    const password = readFileSecret(name);
    if (password === null) throw new PipeError(lost);
    return password;
  }
  if (keychainTurnedOff())
    throw new PipeError(
      `profile '${name}' keeps its password in the keychain, which SKYPIPE_KEYCHAIN=off turns off; unset it, or log in again with it set`,
    );
  let password;
  try {
    password = await keychain({ op: 'get', account: name });
  } catch (error) {
    if (!(error instanceof KeychainUnavailable)) throw error;
    throw new PipeError(`cannot read the password of profile '${name}' from the keychain: ${error.message}`);
  }
  if (typeof password !== 'string') throw new PipeError(lost);
  return password;
}

/** Removes the password of profile `name` from where it was kept; a keychain that is gone is reported. */
export async function removeSecret(name: string, place: SecretPlace): Promise<void> {
  deleteFileSecret(name);
  if (place !== 'keychain') return;
  try {
    await keychain({ op: 'delete', account: name });
  } catch (error) {
    if (!(error instanceof KeychainUnavailable)) throw error;
    throw new PipeError(
      `cannot remove the password of profile '${name}' from the keychain: ${error.message}; the profile stays`,
    );
  }
}

export function describePlace(place: SecretPlace): string {
  if (place === 'keychain') return 'the keychain';
  if (place === 'file') return secretsPath();
  return 'nowhere (no password)';
}
