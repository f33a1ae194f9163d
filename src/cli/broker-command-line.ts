import type { Argv } from 'yargs';
import { PipeError } from '../protocol/errors.js';
import { LISTENER_FLAGS, type BrokerServeFlags } from './broker-options.js';

type Run = (work: () => Promise<number>) => () => Promise<void>;

/** Adds `skypipe broker …` to `parser`: its flags, and its code, which loads only when it runs. */
export function withBrokerCommand<T>(parser: Argv<T>, run: Run) {
  return parser.command(
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
          describe: 'where sessions and buffered data are kept (or SKYPIPE_BROKER_DATA_DIR; default: state directory)',
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
        .option('log-format', {
          type: 'string',
          describe:
            'the log as text (the default on a terminal) or json (the default elsewhere) (or SKYPIPE_BROKER_LOG_FORMAT)',
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
        .option('local-clients', {
          type: 'boolean',
          describe:
            "skypipe commands on this machine use this broker, as its user (or SKYPIPE_BROKER_LOCAL_CLIENTS=1; the image's default)",
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
        const { brokerCert, brokerStatus, brokerStop, refuseBrokerFlags, runBroker } =
          await import('./broker-command.js');
        if (argv.action === 'status' || argv.action === 'stop') {
          refuseBrokerFlags(argv.action, argv);
          return argv.action === 'status' ? brokerStatus() : brokerStop();
        }
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
            logFormat: argv['log-format'],
            localClients: argv['local-clients'],
          },
          argv['local-sky'] === true,
        );
      })(),
  );
}
