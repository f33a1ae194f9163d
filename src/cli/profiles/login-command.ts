import { PipeError } from '../../client/index.js';
import { say } from '../messages.js';
import { parseInvitation } from './invitation.js';
import { readPasswordInput } from './password-input.js';
import { findProfile, readProfiles, shownUrl, writeProfiles } from './profile-store.js';
import { saveProfile } from './save-profile.js';
import { describePlace, readSecret, removeSecret } from './secret-store.js';

export interface LoginFlags {
  broker: string | undefined;
  user: string | undefined;
  pin: string | undefined;
  name: string | undefined;
}

/** `skypipe login URL|INVITATION`: saves a profile, its password in the keychain (or the private file). */
export async function login(flags: LoginFlags): Promise<number> {
  if (flags.broker === undefined)
    throw new PipeError(
      "'skypipe login' needs a broker URL or an invitation: mqtts://USER@HOST:8883/?pin=FINGERPRINT",
      'usage',
    );
  const invitation = parseInvitation(flags.broker, flags.user, flags.pin);
  const name = flags.name ?? invitation.host;
  let password: string | undefined;
  if (invitation.username !== undefined) {
    password = await readPasswordInput(`password for ${invitation.username} at ${invitation.url}: `);
    if (password === '')
      throw new PipeError('the password is empty; type it when asked, or give it on the first line of standard input');
  }
  const profile: { name: string; url: string; username?: string; pin?: string } = { name, url: invitation.url };
  if (invitation.username !== undefined) profile.username = invitation.username;
  if (invitation.pin !== undefined) profile.pin = invitation.pin;
  const { profile: saved, isDefault } = await saveProfile(profile, password);
  const secret = saved.secret === 'none' ? 'no password' : `password in ${describePlace(saved.secret)}`;
  say(`saved profile '${name}'${isDefault ? ' (the default)' : ''}: ${shownUrl(saved)}, ${secret}`);
  return 0;
}

/** `skypipe login --status`: where each profile keeps its password, checked. Exit 1 if one is missing. */
export async function loginStatus(): Promise<number> {
  const { profiles } = readProfiles();
  if (profiles.length === 0) say("no profiles; 'skypipe login URL' saves one");
  let missing = 0;
  for (const profile of profiles) {
    let state: string;
    try {
      const password = await readSecret(profile.name, profile.secret);
      state = password === undefined ? 'no password' : `password in ${describePlace(profile.secret)}`;
    } catch (error) {
      if (!(error instanceof PipeError)) throw error;
      missing++;
      state = error.message;
    }
    process.stdout.write(`${profile.name}: ${state}\n`);
  }
  return missing === 0 ? 0 : 1;
}

/** `skypipe logout [NAME]`: forgets the profile (the default one without NAME) and its password. */
export async function logout(name: string | undefined): Promise<number> {
  const before = readProfiles();
  const chosen = name ?? before.default;
  if (chosen === null) throw new PipeError("no default profile to log out of; 'skypipe profiles' lists them", 'usage');
  const profile = findProfile(before, chosen, 'logout');
  await removeSecret(profile.name, profile.secret);
  const after = readProfiles();
  const wasDefault = after.default === profile.name;
  writeProfiles({
    default: wasDefault ? null : after.default,
    profiles: after.profiles.filter((one) => one.name !== profile.name),
  });
  const secret = profile.secret === 'none' ? '' : ` and its password from ${describePlace(profile.secret)}`;
  const others =
    wasDefault && after.profiles.length > 1
      ? "; no default profile now: 'skypipe profiles --default NAME' makes one"
      : '';
  say(`removed profile '${profile.name}'${secret}${others}`);
  return 0;
}
