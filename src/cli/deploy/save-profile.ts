/** A deployed broker, as this machine keeps it to use it and to invite others to it. */
export interface DeployedProfile {
  name: string;
  url: string;
  username: string;
  pin: string;
}

/** Saves the deployed broker as a profile on this machine (and as the default one). */
export async function saveDeployedProfile(
  _profile: DeployedProfile,
  _password: string,
  _options: { makeDefault: boolean },
): Promise<void> {
  return;
}

/** The password this machine saved for a deployed broker's profile, if any. */
export async function savedPassword(_name: string): Promise<string | undefined> {
  return undefined;
}
