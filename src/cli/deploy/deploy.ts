import { parseBrokerUrl, parsePin, readStatus, topicRoot } from '../../client/index.js';
import { PipeError } from '../../protocol/errors.js';
import { say } from '../messages.js';
import {
  checkPortsFree,
  ensureVolume,
  existingBroker,
  removeBroker,
  removeVolume,
  replaceBroker,
} from './container.js';
import { generatePassword, makeCertificate, passwordFromStdin, readVolumeState, setUser } from './credentials.js';
import { connectEngine } from './engine.js';
import { waitHealthy } from './health.js';
import { buildImage, packageDir } from './image.js';
import { checkProfileFree, savedPassword, saveDeployedProfile } from './save-profile.js';
import { dockerCommands, volumeName, type DeploySettings } from './spec.js';
import type { EngineTarget } from './target.js';

export interface DeployRequest {
  target: EngineTarget;
  settings: DeploySettings;
  passwordStdin: boolean;
  resetPassword: boolean;
}

/** The docker CLI's flags for the same engine: it knows https:// as tcp:// with TLS verified. */
const engineFlags = (target: EngineTarget): string[] =>
  target.url.startsWith('https://')
    ? ['--tlsverify', '--host', `tcp://${target.url.slice('https://'.length)}`]
    : ['--host', target.url];

/** `skypipe deploy --dry-run`: the docker commands a first deploy runs. */
export function dryRun({ target, settings }: DeployRequest): number {
  for (const line of dockerCommands(settings, engineFlags(target), packageDir())) process.stdout.write(`${line}\n`);
  return 0;
}

/** `skypipe deploy`: builds the image, keeps or makes the credentials, (re)starts the broker, checks it. */
export async function deploy(request: DeployRequest): Promise<number> {
  const { target, settings } = request;
  const brokerUrl = `mqtts://${hostInUrl(settings.host)}:${settings.mqttsPort}`;
  checkProfileFree(settings.name, settings.host);
  const given = request.passwordStdin ? await passwordFromStdin() : undefined;
  const engine = await connectEngine(target);
  const existing = await existingBroker(engine, settings.name);
  await checkPortsFree(engine, settings);
  say(`building the broker image on ${target.url} (${engine.arch}); this takes a few minutes`);
  await buildImage(engine, settings);
  const volume = volumeName(settings);
  const kept = (await ensureVolume(engine, volume))
    ? await readVolumeState(engine, settings)
    : { fingerprint: null, users: [] };
  const fingerprint = kept.fingerprint ?? (await makeCertificate(engine, settings));
  const profile = { name: settings.name, url: brokerUrl, username: settings.username, pin: fingerprint };
  let password = given;
  if (!kept.users.includes(settings.username) || request.resetPassword || given !== undefined) {
    password ??= generatePassword();
    await setUser(engine, settings, password);
    // Kept at once: the volume holds the new password now, and this machine is its only other copy.
    await saveDeployedProfile(profile, password, { makeDefault: false });
  } else {
    password = await savedPassword(settings.name);
  }
  await replaceBroker(engine, settings, existing !== null);
  if (password !== undefined) await saveDeployedProfile(profile, password, { makeDefault: true });
  await waitHealthy(engine, settings.name);
  const url = `mqtts://${settings.username}@${hostInUrl(settings.host)}:${settings.mqttsPort}/?pin=${fingerprint}`;
  if (password === undefined) {
    say(
      `the broker runs, upgraded, with its data; this machine has no saved password for '${settings.username}': 'skypipe deploy --reset-password' sets a new one`,
    );
    return 1;
  }
  await checkConnection(url, settings, password, fingerprint);
  say(
    `the broker '${settings.name}' runs on ${settings.host} (data in volume ${volume}); invite another machine with:`,
  );
  process.stdout.write(`skypipe login '${url}'\n`);
  say(
    `the password moves separately: skypipe profiles --show-password ${settings.name} | ssh other skypipe login '${url}'`,
  );
  return 0;
}

const hostInUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The last check: a client gets in over MQTT over TLS with the pin and the password. */
async function checkConnection(url: string, settings: DeploySettings, password: string, pin: string): Promise<void> {
  const target = parseBrokerUrl(url.replace(/\/\?pin=.*$/, ''), 'the deployed broker', settings.username, password);
  target.tls = { pin: parsePin(pin, 'the certificate') };
  try {
    await readStatus(target, topicRoot(undefined, settings.username) ?? '', null);
  } catch (error) {
    throw new PipeError(`the broker is healthy but a client cannot get in at ${url}: ${(error as Error).message}`);
  }
}

/** `skypipe deploy --remove [--purge]`: stops and removes the broker; its volume too with --purge. */
export async function remove({ target, settings }: DeployRequest, purge: boolean): Promise<number> {
  const engine = await connectEngine(target);
  const existing = await existingBroker(engine, settings.name);
  if (existing !== null) await removeBroker(engine, settings.name);
  say(
    existing !== null
      ? `removed the broker '${settings.name}' from ${target.url}`
      : `no broker '${settings.name}' on ${target.url}`,
  );
  const volume = volumeName(settings);
  if (purge) say((await removeVolume(engine, volume)) ? `removed volume ${volume}` : `no volume ${volume}`);
  else say(`volume ${volume} stays, with the data and credentials; --purge removes it`);
  return 0;
}
