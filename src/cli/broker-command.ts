import { join } from 'node:path';

import { localSkyPaths, readLocalSkyRecord, removeLocalSkyRecord, runningLocalSky, stopLocalSky, writeLocalSkyRecord } from '../broker/local-sky.js';
import { stateDir } from '../broker/state-dir.js';
import { PipeError } from '../client/errors.js';
import { say } from './messages.js';

export interface BrokerRunFlags {
  host: string;
  port: number;
  dataDir?: string | undefined;
  localSky: boolean;
}

/** `skypipe broker`: runs the broker in the foreground until SIGINT or SIGTERM. */
export async function runBroker(flags: BrokerRunFlags): Promise<number> {
  const settings = flags.localSky
    ? { host: '127.0.0.1', port: 0, dataDir: localSkyPaths().dataDir }
    : { host: flags.host, port: flags.port, dataDir: flags.dataDir ?? join(stateDir(), 'broker-data') };
  let broker;
  try {
    // Loaded here only: sending and receiving never pay for the broker's start-up.
    const { startBroker } = await import('../broker/server.js');
    broker = await startBroker(settings);
  } catch (error) {
    throw new PipeError((error as Error).message);
  }
  const url = `mqtt://${broker.host.includes(':') ? `[${broker.host}]` : broker.host}:${broker.port}`;
  if (flags.localSky) {
    writeLocalSkyRecord({ pid: process.pid, host: '127.0.0.1', port: broker.port, dataDir: settings.dataDir, startedAt: new Date().toISOString() });
  } else {
    say(`broker listening on ${url}, data in ${settings.dataDir}`);
    if (!['127.0.0.1', '::1', 'localhost'].includes(flags.host)) {
      say('warning: this broker has no authentication yet; anyone who reaches this port can read and write every pipe');
    }
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(name, () => resolve(name));
  });
  if (flags.localSky) removeLocalSkyRecord(process.pid);
  await broker.close();
  if (!flags.localSky) say(`broker stopped (${signal})`);
  return 0;
}

/** `skypipe broker status`: where the local broker runs, and which broker commands use. */
export async function brokerStatus(): Promise<number> {
  const running = await runningLocalSky();
  const paths = localSkyPaths();
  if (running) {
    process.stdout.write(`local broker: running, pid ${running.pid}, at mqtt://127.0.0.1:${running.port}\n`);
    process.stdout.write(`data: ${running.dataDir}\nlog: ${paths.log}\n`);
  } else {
    const stale = readLocalSkyRecord();
    process.stdout.write(`local broker: not running${stale ? ' (stale record)' : ''}; the next skypipe command starts it\n`);
  }
  const url = process.env.SKYPIPE_URL;
  process.stdout.write(url ? `commands use SKYPIPE_URL: ${url.replace(/\/\/[^@/]*@/, '//***@')}\n` : 'commands use the local broker (set SKYPIPE_URL or --url to use another)\n');
  return 0;
}

/** `skypipe broker stop`: stops the local broker. */
export async function brokerStop(): Promise<number> {
  const record = readLocalSkyRecord();
  if (await stopLocalSky()) process.stdout.write(`stopped the local broker (pid ${record?.pid})\n`);
  else process.stdout.write('no local broker was running\n');
  return 0;
}
