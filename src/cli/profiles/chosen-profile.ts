import { findProfile, readProfiles, type Profile } from './profile-store.js';
import { readSecret } from './secret-store.js';

export interface ChosenProfile {
  profile: Profile;
  /** How it was chosen, for messages: "--profile", "SKYPIPE_PROFILE" or "default". */
  chosenBy: string;
}

/** The profile named by --profile, else SKYPIPE_PROFILE, else the default one; null with none. */
export function chosenProfile(flag: string | undefined): ChosenProfile | null {
  const fromEnv = process.env.SKYPIPE_PROFILE;
  const [name, chosenBy] =
    flag !== undefined
      ? [flag, '--profile']
      : fromEnv !== undefined && fromEnv !== ''
        ? [fromEnv, 'SKYPIPE_PROFILE']
        : [undefined, 'default'];
  const profiles = readProfiles();
  if (name !== undefined) return { profile: findProfile(profiles, name, chosenBy), chosenBy };
  const fallback = profiles.profiles.find((profile) => profile.name === profiles.default);
  return fallback === undefined ? null : { profile: fallback, chosenBy };
}

/**
 * The credentials to use with `profile`: a user name or password given (flags, environment) wins;
 * the profile's password goes only with the profile's own user name, and is read only when needed.
 */
export async function profileCredentials(
  profile: Profile,
  username: string | undefined,
  password: string | undefined,
): Promise<{ username: string | undefined; password: string | undefined }> {
  const user = username ?? profile.username;
  if (password !== undefined || user !== profile.username) return { username: user, password };
  return { username: user, password: await readSecret(profile.name, profile.secret) };
}
