import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { PipeError } from '../protocol/errors.js';
import { withBrokerCommand } from './broker-command-line.js';
import { CONNECTION_OPTIONS } from './connection-options.js';
import { DEPLOY_DESCRIPTION, deployOptions } from './deploy/options.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { say } from './messages.js';
import { PROFILE_OPTION, profileCommands } from './profiles/profile-commands.js';
import { describeFailure } from './remedies.js';

declare const SKYPIPE_VERSION: string;

// Each command's code (the MQTT client, the broker) is loaded when that command runs: `--version`,
// `--help` and a usage error start without it.
const transfer: typeof import('./transfer-commands.js').transfer = async (...args) =>
  (await import('./transfer-commands.js')).transfer(...args);

const EPILOGUE = `With no NAME, the default pipe. Sends when standard input is a pipe or a file, receives otherwise;
scripts should say 'send' or 'recv'. Broker: --url, else SKYPIPE_URL, else a 'skypipe login'
profile, else a local broker that skypipe starts by itself (see 'skypipe broker status').

Exit codes: 0 done; 1 error; 2 usage; 3 a stream arrived incomplete or failed its check;
141 the reader of the output went away; 128+N killed by signal N.`;

async function main(): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = (work: () => Promise<number>) => async () => {
    exitCode = await work();
  };
  const commands = yargs(hideBin(process.argv))
    .scriptName('skypipe')
    .parserConfiguration({ 'parse-positional-numbers': false, 'parse-numbers': false })
    .usage(
      'Usage: skypipe [send|recv] [NAME] [options]\n       skypipe status [NAME] [--json]\n       skypipe broker [run|status|stop|cert] [options]\n       skypipe deploy [TARGET] [options]\n       skypipe login URL | logout [PROFILE] | profiles',
    )
    .option('url', {
      type: 'string',
      describe: 'broker URL: mqtt://, mqtts://, ws:// or wss:// (default: SKYPIPE_URL, else the local broker)',
      global: true,
    })
    .option('username', {
      type: 'string',
      describe: 'broker user name (or SKYPIPE_USERNAME, or in the URL)',
      global: true,
    })
    .option('password', {
      type: 'string',
      describe: 'broker password (or SKYPIPE_PASSWORD, or in the URL)',
      global: true,
    })
    .option('profile', PROFILE_OPTION)
    .options(CONNECTION_OPTIONS)
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      describe: 'no progress or status lines; errors only',
      global: true,
    })
    .option('follow', {
      alias: 'f',
      type: 'boolean',
      describe: 'receive: keep receiving stream after stream (log aggregation)',
      global: true,
    })
    .option('topic-prefix', {
      type: 'string',
      describe: 'put all topics under this prefix (or SKYPIPE_TOPIC_PREFIX), for a shared broker',
      global: true,
    })
    .option('reconnect-for', {
      type: 'string',
      describe:
        "how long to keep trying to get back to the broker after losing it and, when given, to reach it at first: 30s, 5m, 2h, or 'forever' for unattended boxes (or SKYPIPE_RECONNECT_FOR; default 5m, one attempt at first)",
      global: true,
    })
    .option('sender-timeout', {
      type: 'string',
      describe:
        'receive: seconds to wait for a sender that lost its connection before the stream counts as incomplete (default: as long as --reconnect-for, 300)',
      global: true,
    })
    .option('capacity', {
      type: 'string',
      describe: 'send: most unread bytes to keep in the pipe before waiting (default 32M)',
      global: true,
    })
    .option('frame-size', {
      type: 'string',
      describe:
        'send: largest frame, 1K to 1M (default 1M, or what the broker takes), for a broker that takes smaller packets without saying so',
      global: true,
    })
    .command(
      '$0 [name]',
      'send standard input into pipe NAME, or receive from it',
      (y) => y.positional('name', { type: 'string' }),
      (argv) => run(() => transfer('auto', argv))(),
    )
    .command(
      'send [name]',
      'send standard input into pipe NAME as one stream',
      (y) => y.positional('name', { type: 'string' }),
      (argv) => run(() => transfer('send', argv))(),
    )
    .command(
      ['recv [name]', 'receive [name]'],
      'receive one stream from pipe NAME onto standard output',
      (y) => y.positional('name', { type: 'string' }),
      (argv) => run(() => transfer('receive', argv))(),
    )
    .command(
      'status [name]',
      'which broker is in use and whether it answers; what waits in pipe NAME, or in every pipe',
      (y) =>
        y
          .positional('name', { type: 'string' })
          .option('json', { type: 'boolean', describe: 'status: print JSON, for scripts' }),
      (argv) => run(async () => (await import('./status-command.js')).status(argv))(),
    )
    .command(profileCommands(run))
    .command('deploy [target]', DEPLOY_DESCRIPTION, deployOptions, (argv) =>
      run(async () => (await import('./deploy/command.js')).deployCommand(argv))(),
    );
  const parser = withBrokerCommand(commands, run)
    .epilogue(EPILOGUE)
    .version(SKYPIPE_VERSION)
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      throw new PipeError(`${message}; see skypipe --help`, 'usage');
    });
  await parser.parseAsync();
  return exitCode;
}

process.stdout.on('error', () => {
  // Write errors (EPIPE) are reported where the write happens.
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof PipeError) {
      if (error.kind !== 'interrupted') say(describeFailure(error));
    } else {
      say(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (process.env.SKYPIPE_DEBUG) console.error(error);
    }
    process.exit(exitCodeFor(error));
  },
);
