import { hostname } from 'node:os';
import { join } from 'node:path';

import type { BrokerSettings } from '../broker/server.js';
import {
  isAlive,
  localSkyPaths,
  readLocalSkyRecord,
  removeLocalSkyRecord,
  runningLocalSky,
  stopLocalSky,
  writeLocalSkyRecord,
} from './local-sky.js';
import { stateDir } from './state-dir.js';
import { PipeError } from '../protocol/errors.js';
import { hideUserInfo } from '../protocol/redact-url.js';
import {
  DEFAULT_MAX_PACKET_SIZE,
  listensBeyondLoopback,
  resolveBrokerOptions,
  type BrokerServeFlags,
} from './broker-options.js';
import { prepareLocalClients, wantsLocalClients } from './local-clients.js';
import { say } from './messages.js';
import { chosenProfile } from './profiles/chosen-profile.js';
import { shownUrl } from './profiles/profile-store.js';

declare const SKYPIPE_VERSION: string;

/** How long a stop may take (closing clients, flushing the store) before the process ends anyway. */
const STOP_DEADLINE_MS = 10_000;

/**
 * The broker skypipe starts by itself: loopback, no users; it logs warnings only, to its log file.
 * It takes `port` (where it listened before it died: its clients are reconnecting there), or a free one.
 */
function localSkySettings(port = 0): BrokerSettings {
  return {
    listeners: [{ kind: 'mqtt', host: '127.0.0.1', port }],
    tls: null,
    storage: { kind: 'disk', dataDir: localSkyPaths().dataDir },
    access: null,
    limits: { maximumPacketSize: DEFAULT_MAX_PACKET_SIZE },
    http: null,
    logLevel: 'warn',
    version: SKYPIPE_VERSION,
  };
}

/** `skypipe broker`: runs the broker in the foreground until SIGINT or SIGTERM. The local sky is one on 127.0.0.1. */
export async function runBroker(flags: BrokerServeFlags, localSky: boolean): Promise<number> {
  const earlierPort = localSky ? readLocalSkyRecord()?.port : undefined;
  const settings: BrokerSettings = localSky
    ? localSkySettings(earlierPort)
    : { ...(await resolveBrokerOptions(flags)), version: SKYPIPE_VERSION };
  const localClients = !localSky && wantsLocalClients(flags.localClients) ? await prepareLocalClients(settings) : null;
  let broker;
  try {
    // Loaded here only: sending and receiving never pay for the broker's start-up.
    const { startBroker } = await import('../broker/server.js');
    broker = await startBroker(settings).catch((error: Error) => {
      // Someone else took the port meanwhile: a free one; clients then find it in the record.
      if (earlierPort === undefined || !error.message.includes('in use')) throw error;
      return startBroker(localSkySettings());
    });
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
  // Where this machine's commands find it: the local sky's one listener, or the loopback one added last.
  if (localSky || localClients !== null) {
    writeLocalSkyRecord({
      pid: process.pid,
      host: '127.0.0.1',
      port: broker.listeners.at(-1)!.port,
      dataDir: broker.storage,
      startedAt: new Date().toISOString(),
      ...(localClients === null ? {} : { served: localClients }),
    });
  }
  if (!localSky) {
    say(
      `broker listening on ${broker.listeners.map((listener) => listener.url).join(', ')}; data in ${broker.storage}`,
    );
    if (broker.http !== null) say(`health at ${broker.http}/healthz, metrics at ${broker.http}/metrics`);
    if (settings.access === null && listensBeyondLoopback(settings.listeners)) {
      say('warning: anonymous access: anyone who reaches this broker can read and write every pipe');
    } else if (settings.access !== null) {
      const anonymous = settings.access.anonymous ? '; anonymous clients share the topics outside u/' : '';
      say(`${settings.access.users.size} user(s), each confined to u/NAME/${anonymous}`);
    }
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, () => resolve(name));
  });
  if (localSky || localClients !== null) removeLocalSkyRecord(process.pid);
  const deadline = setTimeout(() => {
    say(
      `the broker did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting anyway (clients send again what it did not acknowledge)`,
    );
    process.exit(1);
  }, STOP_DEADLINE_MS);
  await broker.close();
  clearTimeout(deadline);
  if (!localSky) say(`broker stopped (${signal})`);
  return 0;
}

/**
 * `broker status` and `broker stop` are about this machine's broker; naming another one with
 * --url (or its credentials) would not make them act on it.
 */
export function refuseBrokerFlags(action: string, argv: Record<string, unknown>): void {
  const named = ['url', 'username', 'password', 'pin', 'ca', 'profile'].find((flag) => argv[flag] !== undefined);
  if (named === undefined) return;
  const instead = action === 'status' ? "; for another broker, use 'skypipe status --url URL'" : '';
  throw new PipeError(
    `'skypipe broker ${action}' is about this machine's broker and takes no --${named}${instead}`,
    'usage',
  );
}

/** `skypipe broker status`: where the local broker runs, and which broker commands use. */
export async function brokerStatus(): Promise<number> {
  const running = await runningLocalSky();
  const paths = localSkyPaths();
  if (running?.served !== undefined) {
    const user = running.served.user === null ? '' : `, as ${running.served.user}`;
    process.stdout.write(
      `this machine's broker: running, pid ${running.pid}, at mqtt://127.0.0.1:${running.port} for skypipe commands here${user}\n`,
    );
    process.stdout.write(`data: ${running.dataDir}\n`);
  } else if (running) {
    process.stdout.write(`local broker: running, pid ${running.pid}, at mqtt://127.0.0.1:${running.port}\n`);
    process.stdout.write(`data: ${running.dataDir}\nlog: ${paths.log}\n`);
  } else {
    const stale = readLocalSkyRecord();
    process.stdout.write(
      `local broker: not running${stale ? ' (stale record)' : ''}; the next skypipe command starts it\n`,
    );
  }
  const url = process.env.SKYPIPE_URL;
  const profile = url ? null : chosenProfile(undefined)?.profile;
  const fallback = running?.served !== undefined ? "this machine's broker" : 'the local broker';
  process.stdout.write(
    url
      ? `commands use SKYPIPE_URL: ${hideUserInfo(url)}\n`
      : profile
        ? `commands use profile '${profile.name}': ${shownUrl(profile)} ('skypipe profiles' lists them)\n`
        : `commands use ${fallback} (set SKYPIPE_URL or --url to use another)\n`,
  );
  return 0;
}

/** `skypipe broker stop`: stops the local broker; one run with --local-clients is stopped where it was started. */
export async function brokerStop(): Promise<number> {
  const record = readLocalSkyRecord();
  if (record?.served !== undefined && isAlive(record.pid)) {
    throw new PipeError(
      `this machine's broker (pid ${record.pid}) was started with 'skypipe broker', not by skypipe itself: stop it where it runs (its terminal, its service, or 'docker stop' for a container)`,
    );
  }
  if (await stopLocalSky()) process.stdout.write(`stopped the local broker (pid ${record?.pid})\n`);
  else process.stdout.write('no local broker was running\n');
  return 0;
}

/**
 * `skypipe broker cert`: a self-signed CA and a server certificate for `names`. The fingerprint
 * clients pin goes alone to standard output, for scripts; the rest to standard error.
 */
export async function brokerCert(dir: string | undefined, names: string[], replace: boolean): Promise<number> {
  const { generateCertificates } = await import('../broker/certificates.js');
  const hosts = names.length > 0 ? names : ['localhost', '127.0.0.1', '::1', hostname()];
  let files;
  try {
    files = await generateCertificates(dir ?? join(stateDir(), 'broker-tls'), [...new Set(hosts)], replace);
  } catch (error) {
    throw new PipeError(`cannot make certificates: ${(error as Error).message}`);
  }
  say(
    `wrote ${files.server} and ${files.serverKey} for ${[...new Set(hosts)].join(', ')}, signed by the CA in ${files.ca}; valid until ${files.notAfter.toISOString().slice(0, 10)}`,
  );
  say(`serve them: skypipe broker --tls-port 8883 --cert ${files.server} --key ${files.serverKey}`);
  say(`clients pin the CA: --pin ${files.fingerprint} (or SKYPIPE_PIN), or trust it with --ca ${files.ca}`);
  process.stdout.write(`${files.fingerprint}\n`);
  return 0;
}
