import type Dockerode from 'dockerode';

declare const SKYPIPE_VERSION: string;

/** The label that marks containers, volumes and images as skypipe's: deploy touches no others. */
export const LABEL = 'org.skypipe.broker';

/** Inside the container: the volume, the certificate it keeps, and the ports the broker listens on. */
export const DATA = '/data';
const TLS_DIR = `${DATA}/tls`;
export const CA_FILE = `${TLS_DIR}/ca.pem`;
const MQTTS_PORT = 8883;
const WSS_PORT = 8443;

/**
 * The image's HEALTHCHECK, given again at create: podman's builds keep it only in docker format.
 * Without spaces: podman's compatible API splits the command at them.
 */
const HEALTH_TEST = [
  'CMD',
  'node',
  '-e',
  "fetch('http://127.0.0.1:'+process.env.SKYPIPE_BROKER_HTTP_PORT+'/healthz').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))",
];
const SECOND = 1_000_000_000;

export interface Ulimit {
  Name: string;
  Soft: number;
  Hard: number;
}

/** What a deploy makes, settled from the command line. */
export interface DeploySettings {
  /** The container's name; the volume is NAME-data. */
  name: string;
  /** The host clients reach: in the certificate and in the invitation. */
  host: string;
  username: string;
  mqttsPort: number;
  wssPort: number;
  /** Build arguments for the Dockerfile (NODE_IMAGE, NPM_CI_FLAGS). */
  buildArgs: Record<string, string>;
  ulimits: Ulimit[];
}

export const volumeName = (settings: DeploySettings): string => `${settings.name}-data`;
export const imageName = (): string => `skypipe-broker:${SKYPIPE_VERSION}`;

/** The broker's environment: MQTT over TLS and secure WebSocket with the volume's certificate; no plain MQTT. */
const ENVIRONMENT = [
  'SKYPIPE_BROKER_PORT=off',
  `SKYPIPE_BROKER_TLS_PORT=${MQTTS_PORT}`,
  `SKYPIPE_BROKER_WSS_PORT=${WSS_PORT}`,
  `SKYPIPE_BROKER_CERT=${TLS_DIR}/server.pem`,
  `SKYPIPE_BROKER_KEY=${TLS_DIR}/server.key`,
];

/** The names the certificate is for: the host, and loopback's addresses for localhost. */
export const certificateNames = (host: string): string[] =>
  host === 'localhost' ? ['localhost', '127.0.0.1', '::1'] : [host];

/** The broker image's command lines (after its `skypipe broker` entry point) for the one-off containers. */
export const certCommand = (settings: DeploySettings): string[] => [
  'cert',
  '--dir',
  TLS_DIR,
  ...certificateNames(settings.host).flatMap((name) => ['--name', name]),
];
export const userAddCommand = (settings: DeploySettings): string[] => ['user', 'add', settings.username];
export const userListCommand = (): string[] => ['user', 'list'];

/** The broker's container: restarted unless stopped, its data on the volume, TLS ports published. */
export function containerSpec(settings: DeploySettings): Dockerode.ContainerCreateOptions {
  return {
    name: settings.name,
    Image: imageName(),
    Labels: { [LABEL]: '1' },
    Env: ENVIRONMENT,
    ExposedPorts: { [`${MQTTS_PORT}/tcp`]: {}, [`${WSS_PORT}/tcp`]: {} },
    Healthcheck: {
      Test: HEALTH_TEST,
      Interval: 30 * SECOND,
      Timeout: 5 * SECOND,
      StartPeriod: 10 * SECOND,
      Retries: 3,
    },
    HostConfig: {
      Binds: [`${volumeName(settings)}:${DATA}`],
      RestartPolicy: { Name: 'unless-stopped' },
      PortBindings: {
        [`${MQTTS_PORT}/tcp`]: [{ HostPort: String(settings.mqttsPort) }],
        [`${WSS_PORT}/tcp`]: [{ HostPort: String(settings.wssPort) }],
      },
      Ulimits: settings.ulimits,
    },
  };
}

/** A one-off container on the volume running the broker image with `command`. */
export function oneOffSpec(
  settings: DeploySettings,
  command: string[],
  options: { entrypoint?: string[] } = {},
): Dockerode.ContainerCreateOptions {
  return {
    Image: imageName(),
    Cmd: command,
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    Labels: { [LABEL]: '1' },
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { Binds: [`${volumeName(settings)}:${DATA}`], Ulimits: settings.ulimits },
  };
}

/** A word for a POSIX shell, quoted when it needs to be. */
const quote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** What a first deploy does, as docker CLI commands (for --dry-run); docker's build keeps the image's HEALTHCHECK. */
export function dockerCommands(settings: DeploySettings, engine: string[], context: string): string[] {
  const docker = (...words: string[]) => ['docker', ...engine, ...words].map(quote).join(' ');
  const ulimits = settings.ulimits.flatMap(({ Name, Soft, Hard }) => ['--ulimit', `${Name}=${Soft}:${Hard}`]);
  const buildArgs = Object.entries(settings.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]);
  const volume = ['-v', `${volumeName(settings)}:${DATA}`];
  const label = ['--label', `${LABEL}=1`];
  return [
    docker('build', ...ulimits, ...buildArgs, ...label, '-t', imageName(), context),
    docker('volume', 'create', ...label, volumeName(settings)),
    docker('run', '--rm', ...ulimits, ...label, ...volume, imageName(), ...certCommand(settings)),
    `${docker('run', '--rm', '-i', ...ulimits, ...label, ...volume, imageName(), ...userAddCommand(settings))} < password`,
    docker(
      'run',
      '-d',
      '--name',
      settings.name,
      ...label,
      '--restart',
      'unless-stopped',
      ...ulimits,
      ...volume,
      '-p',
      `${settings.mqttsPort}:${MQTTS_PORT}`,
      '-p',
      `${settings.wssPort}:${WSS_PORT}`,
      ...ENVIRONMENT.flatMap((variable) => ['-e', variable]),
      imageName(),
    ),
  ];
}
