import type { Argv, Options } from 'yargs';
import { PipeError } from '../protocol/errors.js';
import { LISTENER_FLAGS, type BrokerServeFlags } from './broker-options.js';
import type { UserOperation } from './broker-users-command.js';
import { hiddenOptions } from './connection-options.js';

type Run = (work: () => Promise<number>) => () => Promise<void>;
type Entered = (command: string) => void;
type Args = Record<string, unknown>;

/** `broker status` and `stop` refuse these with a sentence of their own (broker-command.ts). */
const REFUSED_HERE = hiddenOptions(['url', 'username', 'password', 'pin', 'ca', 'profile']);

/** The flags of a broker that runs: `skypipe broker` and `skypipe broker run`. */
function serveOptions<T>(y: Argv<T>) {
  const listeners = Object.fromEntries(
    Object.values(LISTENER_FLAGS).map(({ flag, variable, fallback, what }) => [
      flag,
      { type: 'string', describe: `port for ${what}, or off (or ${variable}; default ${fallback ?? 'off'})` },
    ]),
  ) as Record<string, Options>;
  const options: Record<string, Options> = {
    host: {
      type: 'string',
      describe: 'address to listen on, 0.0.0.0 or :: for all (or SKYPIPE_BROKER_HOST; default 127.0.0.1)',
    },
    ...listeners,
    cert: {
      type: 'string',
      describe: 'TLS certificate chain, PEM, for --tls-port and --wss-port (or SKYPIPE_BROKER_CERT)',
    },
    key: { type: 'string', describe: 'its private key, PEM (or SKYPIPE_BROKER_KEY)' },
    'data-dir': {
      type: 'string',
      describe: 'where sessions and buffered data are kept (or SKYPIPE_BROKER_DATA_DIR; default: state directory)',
    },
    redis: {
      type: 'string',
      describe:
        'keep the data in Redis instead, shared by every broker instance given the same URL: redis://[USER:PASSWORD@]HOST[:PORT][/DB] (or SKYPIPE_BROKER_REDIS_URL)',
    },
    users: usersOption,
    'max-packet-size': {
      type: 'string',
      describe:
        'largest MQTT packet read from a client; a larger one closes its connection (or SKYPIPE_BROKER_MAX_PACKET_SIZE; default 2M)',
    },
    'pipe-capacity': {
      type: 'string',
      describe:
        'most unread bytes a stream may keep in a pipe, advertised to senders (or SKYPIPE_BROKER_PIPE_CAPACITY; default: their own, 32M)',
    },
    'http-port': {
      type: 'string',
      describe: 'port for /healthz and /metrics (Prometheus), or off (or SKYPIPE_BROKER_HTTP_PORT; default off)',
    },
    'http-host': {
      type: 'string',
      describe:
        'address for /healthz and /metrics (or SKYPIPE_BROKER_HTTP_HOST; default 127.0.0.1: metrics name users and sessions)',
    },
    'log-level': {
      type: 'string',
      describe:
        'structured log on standard output: debug, info, warn, error or silent (or SKYPIPE_BROKER_LOG_LEVEL; default info)',
    },
    'log-format': {
      type: 'string',
      describe:
        'the log as text (the default on a terminal) or json (the default elsewhere) (or SKYPIPE_BROKER_LOG_FORMAT)',
    },
    'max-connections-per-user': {
      type: 'string',
      describe:
        'most connections one user may have open (or SKYPIPE_BROKER_MAX_CONNECTIONS_PER_USER; default no limit)',
    },
    'max-bytes-per-user': {
      type: 'string',
      describe:
        "most bytes waiting in one user's pipes; a sender over it is refused (or SKYPIPE_BROKER_MAX_BYTES_PER_USER; default no limit)",
    },
    anonymous: {
      type: 'boolean',
      describe:
        'let clients without credentials in (or SKYPIPE_BROKER_ANONYMOUS=1); needed to listen beyond loopback with no users',
    },
    'local-clients': {
      type: 'boolean',
      describe:
        "skypipe commands on this machine use this broker, as its user (or SKYPIPE_BROKER_LOCAL_CLIENTS=1; the image's default)",
    },
    'local-sky': { type: 'boolean', hidden: true },
  };
  // Not passed down to broker's subcommands, which take options of their own.
  return y.options(
    Object.fromEntries(Object.entries(options).map(([name, option]) => [name, { ...option, global: false }])),
  );
}

/** Examples of a broker that runs, for `skypipe broker` and `skypipe broker run`. */
function serveExamples<T>(y: Argv<T>) {
  return y
    .example('$0 broker', 'a broker for this machine, on 127.0.0.1:1883')
    .example('$0 broker --host 0.0.0.0', 'for other machines, once users are added')
    .example('$0 broker --tls-port 8883 --cert c.pem --key k.pem', 'MQTT over TLS too');
}

const usersOption = {
  type: 'string',
  describe: 'the users file (or SKYPIPE_BROKER_USERS; default: state directory)',
} as const;

function serve(argv: Args): Promise<number> {
  const text = (key: string) => argv[key] as string | undefined;
  const flag = (key: string) => argv[key] as boolean | undefined;
  const ports = Object.fromEntries(
    Object.entries(LISTENER_FLAGS).map(([kind, { flag: name }]) => [kind, text(name)]),
  ) as BrokerServeFlags['ports'];
  return import('./broker-command.js').then(({ runBroker }) =>
    runBroker(
      {
        host: text('host'),
        ports,
        cert: text('cert'),
        key: text('key'),
        dataDir: text('data-dir'),
        redis: text('redis'),
        users: text('users'),
        anonymous: flag('anonymous'),
        maxConnectionsPerUser: text('max-connections-per-user'),
        maxBytesPerUser: text('max-bytes-per-user'),
        maxPacketSize: text('max-packet-size'),
        pipeCapacity: text('pipe-capacity'),
        httpPort: text('http-port'),
        httpHost: text('http-host'),
        logLevel: text('log-level'),
        logFormat: text('log-format'),
        localClients: flag('local-clients'),
      },
      argv['local-sky'] === true,
    ),
  );
}

/** `broker status` and `broker stop`: about the local broker, so no broker address. */
async function localBroker(action: 'status' | 'stop', argv: Args): Promise<number> {
  const { brokerStatus, brokerStop, refuseBrokerFlags } = await import('./broker-command.js');
  refuseBrokerFlags(action, argv);
  return action === 'status' ? brokerStatus() : brokerStop();
}

/** Adds `skypipe broker` and its subcommands to `parser`; their code loads only when one runs. */
export function withBrokerCommand<T>(parser: Argv<T>, run: Run, entered: Entered) {
  const runBroker = (argv: Args) => run(() => serve(argv))();
  return parser.command(
    'broker',
    'run a broker in the foreground (or: run, status, stop, cert, user)',
    (y) => {
      entered('broker');
      const withSubcommands = serveOptions(y)
        .command(
          'run',
          'run a broker in the foreground (what plain "broker" does)',
          (s) => (entered('broker run'), serveExamples(serveOptions(s))),
          runBroker,
        )
        .command(
          'status',
          'where the local broker runs, and which broker commands use',
          (s) => (
            entered('broker status'),
            s.options(REFUSED_HERE).example('$0 broker status', 'running or not, its port, data and log')
          ),
          (argv) => run(() => localBroker('status', argv))(),
        )
        .command(
          'stop',
          'stop the local broker; what waits in pipes stays for its next start',
          (s) => (
            entered('broker stop'),
            s.options(REFUSED_HERE).example('$0 broker stop', 'the next skypipe command starts it again')
          ),
          (argv) => run(() => localBroker('stop', argv))(),
        )
        .command(
          'cert',
          'make a self-signed TLS certificate for --tls-port and --wss-port, and print its fingerprint to pin',
          (s) => (
            entered('broker cert'),
            s
              .option('dir', { type: 'string', describe: 'where to write the certificates (default: state directory)' })
              .option('name', {
                type: 'string',
                array: true,
                describe:
                  'a host name or IP address the certificate is for; repeat for more (default: localhost, loopback, this host)',
              })
              .option('force', { type: 'boolean', describe: 'replace certificates already there' })
              .example('$0 broker cert --name broker.example.net', 'prints sha256:AB:CD:…, the fingerprint to pin')
              .example('$0 broker cert --dir tls --force', 'a new pair in directory tls')
          ),
          (argv) =>
            run(async () =>
              (await import('./broker-command.js')).brokerCert(
                argv.dir as string | undefined,
                ((argv.name as unknown[] | undefined) ?? []).map(String),
                argv.force === true,
              ),
            )(),
        )
        .command(
          'user [operation] [name]',
          "manage the broker's users: add NAME (the password is asked, or read from standard input), remove NAME, list",
          (s) => (
            entered('broker user'),
            s
              .positional('operation', { choices: ['add', 'remove', 'list'] as const, describe: 'what to do' })
              .positional('name', { type: 'string', describe: 'the user name' })
              .option('users', usersOption)
              .example('$0 broker user add alice', 'asks for her password twice')
              .example('echo "$PASSWORD" | $0 broker user add bob', 'the password from standard input')
              .example('$0 broker user list', 'one name a line')
          ),
          (argv) =>
            run(async () => {
              if (argv.operation === undefined)
                throw new PipeError("'skypipe broker user' needs add, remove or list", 'usage');
              return (await import('./broker-users-command.js')).brokerUser(
                argv.operation as UserOperation,
                argv.name as string | undefined,
                argv.users as string | undefined,
              );
            })(),
        );
      return serveExamples(withSubcommands);
    },
    runBroker,
  );
}
