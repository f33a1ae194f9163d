import { PipeError } from '../../protocol/errors.js';
import { say } from '../messages.js';
import { findProfile, readProfiles, shownUrl, writeProfiles } from './profile-store.js';
import { describePlace, readSecret } from './secret-store.js';

export interface ProfilesFlags {
  showPassword: string | undefined;
  makeDefault: string | undefined;
}

/**
 * `skypipe profiles`: lists the profiles, the default marked `*`. `--show-password NAME` prints a
 * password on standard output, to pipe into `skypipe login` elsewhere (never through argv);
 * `--default NAME` changes the default profile.
 */
export async function profilesCommand(flags: ProfilesFlags): Promise<number> {
  const profiles = readProfiles();
  if (flags.showPassword !== undefined && flags.makeDefault !== undefined)
    throw new PipeError('--show-password and --default are separate commands: give one', 'usage');
  if (flags.showPassword !== undefined) {
    const profile = findProfile(profiles, flags.showPassword, '--show-password');
    const password = await readSecret(profile.name, profile.secret);
    if (password === undefined) throw new PipeError(`profile '${profile.name}' has no password`);
    process.stdout.write(`${password}\n`);
    return 0;
  }
  if (flags.makeDefault !== undefined) {
    const profile = findProfile(profiles, flags.makeDefault, '--default');
    writeProfiles({ ...profiles, default: profile.name });
    say(`profile '${profile.name}' is the default now`);
    return 0;
  }
  if (profiles.profiles.length === 0) say("no profiles; 'skypipe login URL' saves one");
  for (const profile of profiles.profiles) {
    const mark = profile.name === profiles.default ? '*' : ' ';
    const pin = profile.pin === undefined ? '' : `  pin sha256:${profile.pin}`;
    const secret = profile.secret === 'none' ? 'no password' : `password in ${describePlace(profile.secret)}`;
    process.stdout.write(`${mark} ${profile.name}  ${shownUrl(profile)}${pin}  ${secret}\n`);
  }
  return 0;
}
