import {
  describeTarget,
  parseBrokerUrl,
  parsePin,
  PipeError,
  usesTls,
  type BrokerTarget,
  type TlsTrust,
} from '../client/index.js';
import { askHidden } from './ask-hidden.js';
import { recallProtocol } from './known-brokers.js';
import { chooseProxy } from './proxy-choice.js';
import { ensureLocalSky, runningLocalSky, type LocalSkyRecord } from './local-sky.js';
import { chosenProfile, profileCredentials } from './profiles/chosen-profile.js';
import { say, stderrIsTerminal } from './messages.js';
import { readTextFile } from './read-text-file.js';

export interface BrokerFlags {
  url?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  pin?: string | undefined;
  ca?: string | undefined;
  proxy?: string | undefined;
  profile?: string | undefined;
}

/** The broker flags from the parsed command line. */
export function brokerFlags(argv: Record<string, unknown>): BrokerFlags {
  const text = (key: string) => argv[key] as string | undefined;
  return {
    url: text('url'),
    username: text('username'),
    password: text('password'),
    pin: text('pin'),
    ca: text('ca'),
    proxy: text('proxy'),
    profile: text('profile'),
  };
}

/** How to run this skypipe again (to start the local broker). */
export function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

/** Adds the proxy to reach the broker through, if any (see proxy-choice.ts). */
function withProxy(target: BrokerTarget, flags: BrokerFlags): BrokerTarget {
  const proxy = chooseProxy(target, flags.proxy);
  return proxy === undefined ? target : { ...target, proxy };
}

/** Adds --pin or --ca (or SKYPIPE_PIN, SKYPIPE_CA, else a profile's pin) to a TLS broker's target. */
function withTrust(target: BrokerTarget, flags: BrokerFlags, profilePin?: string): BrokerTarget {
  const pin =
    flags.pin !== undefined
      ? { raw: flags.pin, origin: '--pin' }
      : (fromEnvironment('SKYPIPE_PIN') ??
        (profilePin === undefined ? undefined : { raw: profilePin, origin: target.origin }));
  const ca = flags.ca !== undefined ? { raw: flags.ca, origin: '--ca' } : fromEnvironment('SKYPIPE_CA');
  if (pin === undefined && ca === undefined) return target;
  if (!usesTls(target.url)) {
    throw new PipeError(
      `${(pin ?? ca)!.origin} is for brokers reached over TLS (mqtts:// or wss://), not ${target.url}`,
      'usage',
    );
  }
  const trust: TlsTrust = {};
  if (pin !== undefined) trust.pin = parsePin(pin.raw, pin.origin);
  if (ca !== undefined) trust.ca = readTextFile(ca.raw, ca.origin);
  return { ...target, tls: trust };
}

function fromEnvironment(name: string): { raw: string; origin: string } | undefined {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? undefined : { raw, origin: name };
}

/**
 * The broker --url names, else SKYPIPE_URL, else a profile (--profile, SKYPIPE_PROFILE, the
 * default one); null for the local sky. An explicit --profile beats SKYPIPE_URL, as flags beat the
 * environment. User name, password and pin from flags or the environment beat the profile's.
 */
export async function configuredBroker(flags: BrokerFlags): Promise<BrokerTarget | null> {
  const username = flags.username ?? process.env.SKYPIPE_USERNAME;
  const password = flags.password ?? process.env.SKYPIPE_PASSWORD;
  const named = (raw: string, origin: string) =>
    askMissingPassword(
      recallProtocol(withProxy(withTrust(parseBrokerUrl(raw, origin, username, password), flags), flags)),
    );
  if (flags.url !== undefined) {
    // A profile's password must never go to a broker the profile does not name.
    if (flags.profile !== undefined)
      throw new PipeError('--url and --profile exclude each other: give one broker', 'usage');
    return named(flags.url, '--url');
  }
  const fromEnv = process.env.SKYPIPE_URL;
  if (fromEnv !== undefined && fromEnv !== '' && flags.profile === undefined) return named(fromEnv, 'SKYPIPE_URL');
  const chosen = chosenProfile(flags.profile);
  if (chosen === null) return null;
  const { profile } = chosen;
  const credentials = await profileCredentials(profile, username, password);
  const target = parseBrokerUrl(profile.url, `profile '${profile.name}'`, credentials.username, credentials.password);
  return recallProtocol(withProxy(withTrust(target, flags, profile.pin), flags));
}

/**
 * A user name without a password: on a terminal, the password is asked (hidden), so that it need
 * never be typed where `ps` and the shell's history keep it. Elsewhere the connection goes without
 * one, and a broker that refuses it is reported as "no password given".
 */
async function askMissingPassword(target: BrokerTarget): Promise<BrokerTarget> {
  if (target.username === undefined || target.password !== undefined) return target;
  if (!process.stdin.isTTY || !process.stderr.isTTY) return target;
  return { ...target, password: await askHidden(`password for ${describeTarget(target)}: `) };
}

/** The broker to use: --url, else SKYPIPE_URL, else a profile, else the local sky (started if needed). */
export async function resolveBroker(flags: BrokerFlags): Promise<BrokerTarget> {
  const configured = await configuredBroker(flags);
  if (configured !== null) return configured;
  const wasRunning = await runningLocalSky();
  if (wasRunning?.served !== undefined) return recordedTarget(wasRunning, flags);
  let sky;
  try {
    sky = wasRunning ?? (await ensureLocalSky(selfCommand()));
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
  if (!wasRunning && stderrIsTerminal()) {
    say(
      `started the local broker on 127.0.0.1:${sky.port}; to pipe between machines, run 'skypipe broker user add NAME' and 'skypipe broker --host 0.0.0.0' on a reachable host and run 'skypipe login mqtt://NAME@HOST:1883' on each machine`,
    );
  }
  const target = localSkyTarget(sky.port);
  // A local broker that died (killed, or the machine short of memory) is started again by the
  // clients that were using it, on its port if it is free; what it had stored is still there.
  target.revive = async () => {
    const revived = await ensureLocalSky(selfCommand());
    target.url = `mqtt://127.0.0.1:${revived.port}`;
  };
  return target;
}

/**
 * This machine's broker run with --local-clients (the container's own broker, inside the image):
 * its loopback listener, as its user, with the key it wrote to the record.
 */
function servedTarget(record: LocalSkyRecord, flags: BrokerFlags): BrokerTarget {
  const target = localSkyTarget(record.port);
  target.origin = "this machine's broker (see skypipe broker status)";
  const { key, user } = record.served!;
  if (key === null) return target;
  const username = flags.username ?? process.env.SKYPIPE_USERNAME ?? user ?? undefined;
  if (username === undefined)
    throw new PipeError(
      "this machine's broker has several users: say which one with --username (or SKYPIPE_USERNAME)",
      'usage',
    );
  return { ...target, username, password: key };
}

/** The broker a running local broker's record names: the local sky, or a broker serving local clients. */
export function recordedTarget(record: LocalSkyRecord, flags: BrokerFlags): BrokerTarget {
  return record.served !== undefined ? servedTarget(record, flags) : localSkyTarget(record.port);
}

/** The local sky on `port`. */
export function localSkyTarget(port: number): BrokerTarget {
  // Our broker speaks MQTT 3.1.1 only: no need to try 5 first.
  return {
    url: `mqtt://127.0.0.1:${port}`,
    origin: 'the local broker (see skypipe broker status)',
    protocolVersion: 4,
  };
}
