import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { PipeError } from '../protocol/errors.js';
import { LISTENER_FLAGS, type BrokerServeFlags } from './broker-options.js';
import { DEPLOY_DESCRIPTION, deployOptions } from './deploy/command.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { say } from './messages.js';
import { describeFailure } from './remedies.js';

declare const SKYPIPE_VERSION: string;

// Each command's code (the MQTT client, the broker) is loaded when that command runs: `--version`,
// `--help` and a usage error start without it.
const transfer: typeof import('./transfer-commands.js').transfer = async (...args) =>
  (await import('./transfer-commands.js')).transfer(...args);

const EPILOGUE = `With no NAME, the default pipe. Sends when standard input is a pipe or a file, receives otherwise;
scripts should say 'send' or 'recv'. Broker: --url, else SKYPIPE_URL, else a local broker that
skypipe starts by itself (see 'skypipe broker status').

Exit codes: 0 done; 1 error; 2 usage; 3 a stream arrived incomplete or failed its check;
141 the reader of the output went away; 128+N killed by signal N.`;

async function main(): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = (work: () => Promise<number>) => async () => {
    exitCode = await work();
  };
  const parser = yargs(hideBin(process.argv))
    .scriptName('skypipe')
    .parserConfiguration({ 'parse-positional-numbers': false, 'parse-numbers': false })
    .usage(
      'Usage: skypipe [send|recv] [NAME] [options]\n       skypipe status [NAME] [--json]\n       skypipe broker [run|status|stop|cert] [options]\n       skypipe deploy [TARGET] [options]',
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
    .option('pin', {
      type: 'string',
      describe:
        "TLS: trust the broker whose certificate (or CA) has this SHA-256 fingerprint, as 'skypipe broker cert' prints it (or SKYPIPE_PIN)",
      global: true,
    })
    .option('ca', {
      type: 'string',
      describe: 'TLS: trust the CA certificates in this PEM file too (or SKYPIPE_CA)',
      global: true,
    })
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
    .command(
      'broker [action] [operation] [user]',
      'run a broker in the foreground; "status" or "stop" for the local broker; "cert" makes a self-signed TLS certificate; "user add|remove|list NAME" manages its users',
      (y) => {
        let options = y
          .positional('action', {
            choices: ['run', 'status', 'stop', 'cert', 'user'] as const,
            default: 'run' as const,
          })
          .positional('operation', { choices: ['add', 'remove', 'list'] as const, describe: 'user: what to do' })
          .positional('user', { type: 'string', describe: 'user: the user name' })
          .option('host', {
            type: 'string',
            describe: 'address to listen on, 0.0.0.0 or :: for all (or SKYPIPE_BROKER_HOST; default 127.0.0.1)',
          });
        for (const { flag, variable, fallback, what } of Object.values(LISTENER_FLAGS)) {
          options = options.option(flag, {
            type: 'string',
            describe: `port for ${what}, or off (or ${variable}; default ${fallback ?? 'off'})`,
          });
        }
        return options
          .option('cert', {
            type: 'string',
            describe: 'TLS certificate chain, PEM, for --tls-port and --wss-port (or SKYPIPE_BROKER_CERT)',
          })
          .option('key', { type: 'string', describe: 'its private key, PEM (or SKYPIPE_BROKER_KEY)' })
          .option('data-dir', {
            type: 'string',
            describe:
              'where sessions and buffered data are kept (or SKYPIPE_BROKER_DATA_DIR; default: state directory)',
          })
          .option('redis', {
            type: 'string',
            describe:
              'keep the data in Redis instead, shared by every broker instance given the same URL: redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or SKYPIPE_BROKER_REDIS_URL)',
          })
          .option('users', {
            type: 'string',
            describe: 'the users file (or SKYPIPE_BROKER_USERS; default: state directory)',
          })
          .option('max-packet-size', {
            type: 'string',
            describe:
              'largest MQTT packet read from a client; a larger one closes its connection (or SKYPIPE_BROKER_MAX_PACKET_SIZE; default 2M)',
          })
          .option('pipe-capacity', {
            type: 'string',
            describe:
              'most unread bytes a stream may keep in a pipe, advertised to senders (or SKYPIPE_BROKER_PIPE_CAPACITY; default: their own, 32M)',
          })
          .option('http-port', {
            type: 'string',
            describe: 'port for /healthz and /metrics (Prometheus), or off (or SKYPIPE_BROKER_HTTP_PORT; default off)',
          })
          .option('http-host', {
            type: 'string',
            describe:
              'address for /healthz and /metrics (or SKYPIPE_BROKER_HTTP_HOST; default 127.0.0.1: metrics name users and sessions)',
          })
          .option('log-level', {
            type: 'string',
            describe:
              'structured log on standard output: debug, info, warn, error or silent (or SKYPIPE_BROKER_LOG_LEVEL; default info)',
          })
          .option('max-connections-per-user', {
            type: 'string',
            describe:
              'most connections one user may have open (or SKYPIPE_BROKER_MAX_CONNECTIONS_PER_USER; default no limit)',
          })
          .option('max-bytes-per-user', {
            type: 'string',
            describe:
              "most bytes waiting in one user's pipes; a sender over it is refused (or SKYPIPE_BROKER_MAX_BYTES_PER_USER; default no limit)",
          })
          .option('anonymous', {
            type: 'boolean',
            describe:
              'let clients without credentials in (or SKYPIPE_BROKER_ANONYMOUS=1); needed to listen beyond loopback with no users',
          })
          .option('dir', {
            type: 'string',
            describe: 'cert: where to write the certificates (default: state directory)',
          })
          .option('name', {
            type: 'string',
            array: true,
            describe:
              'cert: a host name or IP address the certificate is for; repeat for more (default: localhost, loopback, this host)',
          })
          .option('force', { type: 'boolean', describe: 'cert: replace certificates already there' })
          .option('local-sky', { type: 'boolean', hidden: true });
      },
      (argv) =>
        run(async () => {
          const { brokerCert, brokerStatus, brokerStop, runBroker } = await import('./broker-command.js');
          if (argv.action === 'status') return brokerStatus();
          if (argv.action === 'stop') return brokerStop();
          if (argv.action === 'cert') return brokerCert(argv.dir, (argv.name ?? []).map(String), argv.force === true);
          if (argv.action === 'user') {
            if (argv.operation === undefined)
              throw new PipeError("'skypipe broker user' needs add, remove or list", 'usage');
            return (await import('./broker-users-command.js')).brokerUser(argv.operation, argv.user, argv.users);
          }
          if (argv.operation !== undefined)
            throw new PipeError(`'skypipe broker ${argv.action}' takes no '${argv.operation}'`, 'usage');
          const ports = Object.fromEntries(
            Object.entries(LISTENER_FLAGS).map(([kind, { flag }]) => [kind, argv[flag] as string | undefined]),
          ) as BrokerServeFlags['ports'];
          return runBroker(
            {
              host: argv.host,
              ports,
              cert: argv.cert,
              key: argv.key,
              dataDir: argv['data-dir'],
              redis: argv.redis,
              users: argv.users,
              anonymous: argv.anonymous,
              maxConnectionsPerUser: argv['max-connections-per-user'],
              maxBytesPerUser: argv['max-bytes-per-user'],
              maxPacketSize: argv['max-packet-size'],
              pipeCapacity: argv['pipe-capacity'],
              httpPort: argv['http-port'],
              httpHost: argv['http-host'],
              logLevel: argv['log-level'],
            },
            argv['local-sky'] === true,
          );
        })(),
    )
    .command('deploy [target]', DEPLOY_DESCRIPTION, deployOptions, (argv) =>
      run(async () => (await import('./deploy/command.js')).deployCommand(argv))(),
    )
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
