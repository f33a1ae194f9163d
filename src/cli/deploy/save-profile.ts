import { readProfiles } from '../profiles/profile-store.js';
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
