import { hostnameOf } from '../../client/index.js';
import { PipeError } from '../../protocol/errors.js';
import { readProfiles, shownUrl } from '../profiles/profile-store.js';
import { saveProfile } from '../profiles/save-profile.js';
import { readSecret } from '../profiles/secret-store.js';

/** A deployed broker, as this machine keeps it to use it and to invite others to it. */
export interface DeployedProfile {
  name: string;
  url: string;
  username: string;
  pin: string;
}

/** Saves the deployed broker as a profile on this machine, its password in the keychain (or the private file). */
export async function saveDeployedProfile(
  profile: DeployedProfile,
  password: string,
  options: { makeDefault: boolean },
): Promise<void> {
  await saveProfile(profile, password, options);
}

/** The password this machine saved for a deployed broker's profile, if any. */
export async function savedPassword(name: string): Promise<string | undefined> {
  const profile = readProfiles().profiles.find((one) => one.name === name);
  return profile === undefined ? undefined : readSecret(name, profile.secret);
}

/**
 * Refuses to deploy under the name of a profile for a broker on another host: saving the new one
 * would replace that profile, and with it the only copy of that broker's password here.
 */
export function checkProfileFree(name: string, host: string): void {
  const profile = readProfiles().profiles.find((one) => one.name === name);
  if (profile === undefined) return;
  let hostname: string;
  try {
    hostname = hostnameOf(profile.url);
  } catch {
    hostname = '';
  }
  if (hostname !== host)
    throw new PipeError(
      `the profile '${name}' is for ${shownUrl(profile)}; give --name to keep both, or 'skypipe logout ${name}' first`,
    );
}
