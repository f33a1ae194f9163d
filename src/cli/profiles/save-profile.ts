import { parsePin, PipeError } from '../../client/index.js';
import { checkProfileName, readProfiles, writeProfiles, type Profile } from './profile-store.js';
import { deleteFileSecret } from './secret-file.js';
import { removeSecret, storeSecret } from './secret-store.js';

export interface SavedProfile {
  profile: Profile;
  /** Whether it is now the default profile. */
  isDefault: boolean;
}

/**
 * Saves (or replaces) a broker profile, its password in the keychain or the private file, never in
 * the profiles file. The first profile saved becomes the default; `makeDefault` makes this one it.
 * `pin` is a fingerprint as `skypipe broker cert` prints it (`sha256:AB:CD:…`) or as parsePin() keeps it.
 */
export async function saveProfile(
  profile: { name: string; url: string; username?: string; pin?: string },
  password: string | undefined,
  options: { makeDefault?: boolean } = {},
): Promise<SavedProfile> {
  checkProfileName(profile.name);
  if (password !== undefined && profile.username === undefined)
    throw new PipeError(`profile '${profile.name}': a password needs a user name`, 'usage');
  const before = readProfiles().profiles.find((one) => one.name === profile.name);
  const secret = password === undefined ? 'none' : await storeSecret(profile.name, password);
  if (before !== undefined && before.secret === 'keychain' && secret !== 'keychain')
    await removeSecret(profile.name, 'keychain');
  if (secret !== 'file') deleteFileSecret(profile.name);
  // Read again: storing the secret may have taken a while, and the file is the truth.
  const profiles = readProfiles();
  const saved: Profile = { name: profile.name, url: profile.url, secret };
  if (profile.username !== undefined) saved.username = profile.username;
  if (profile.pin !== undefined) saved.pin = parsePin(profile.pin, `profile '${profile.name}'`);
  const others = profiles.profiles.filter((one) => one.name !== profile.name);
  const isDefault = options.makeDefault === true || profiles.default === null || profiles.default === profile.name;
  writeProfiles({
    default: isDefault ? profile.name : profiles.default,
    profiles: [...others, saved].sort((a, b) => a.name.localeCompare(b.name)),
  });
  return { profile: saved, isDefault };
}
