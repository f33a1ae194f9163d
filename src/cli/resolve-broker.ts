import { parseBrokerUrl, type BrokerTarget } from '../client/broker-target.js';
import { PipeError } from '../client/errors.js';
import { ensureLocalSky, runningLocalSky } from '../broker/local-sky.js';
import { say, stderrIsTerminal } from './messages.js';

export interface BrokerFlags {
  url?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

/** How to run this skypipe again (to start the local broker). */
export function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

/** The broker to use: --url, else SKYPIPE_URL, else the local sky (started if needed). */
export async function resolveBroker(flags: BrokerFlags): Promise<BrokerTarget> {
  const username = flags.username ?? process.env.SKYPIPE_USERNAME;
  const password = flags.password ?? process.env.SKYPIPE_PASSWORD;
  if (flags.url !== undefined) return parseBrokerUrl(flags.url, '--url', username, password);
  const fromEnv = process.env.SKYPIPE_URL;
  if (fromEnv !== undefined && fromEnv !== '') return parseBrokerUrl(fromEnv, 'SKYPIPE_URL', username, password);

  const wasRunning = await runningLocalSky();
  let sky;
  try {
    sky = wasRunning ?? (await ensureLocalSky(selfCommand()));
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
  if (!wasRunning && stderrIsTerminal()) {
    say(`started the local broker on 127.0.0.1:${sky.port}; to pipe between machines, run 'skypipe broker --host 0.0.0.0' on a reachable host and set SKYPIPE_URL=mqtt://HOST:1883 on each machine`);
  }
  // Our broker speaks MQTT 3.1.1 only: no need to try 5 first.
  return { url: `mqtt://127.0.0.1:${sky.port}`, origin: 'the local broker (see skypipe broker status)', protocolVersion: 4 };
}
