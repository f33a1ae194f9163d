import { userInfo } from 'node:os';
import { checkUserName } from '../../broker/users.js';
import { PipeError } from '../../protocol/errors.js';
import type { DeploySettings, Ulimit } from './spec.js';
import { resolveEngineTarget } from './target.js';

function port(raw: string, flag: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 65535)
    throw new PipeError(`--${flag}: '${raw}' is not a port number (1-65535)`, 'usage');
  return value;
}

function ulimit(raw: string): Ulimit {
  const match = raw.match(/^([a-z]+)=(\d+):(\d+)$/);
  if (match === null) throw new PipeError(`--ulimit: '${raw}' is not NAME=SOFT:HARD`, 'usage');
  return { Name: match[1]!, Soft: Number(match[2]), Hard: Number(match[3]) };
}

/** The broker's user: --username, else this machine's user name where it is a valid one. */
function username(flag: string | undefined): string {
  const name = flag ?? process.env.SKYPIPE_USERNAME ?? userInfo().username;
  try {
    checkUserName(name);
  } catch (error) {
    throw new PipeError(`--username: ${(error as Error).message}`, 'usage');
  }
  return name;
}

/** `skypipe deploy [TARGET]` from the parsed command line. */
export async function deployCommand(argv: Record<string, unknown>): Promise<number> {
  const text = (key: string) => argv[key] as string | undefined;
  const list = (key: string) => ((argv[key] as unknown[] | undefined) ?? []).map(String);
  if (text('password') !== undefined)
    throw new PipeError('deploy takes no --password: give it on standard input with --password-stdin', 'usage');
  if (argv.purge === true && argv.remove !== true) throw new PipeError('--purge goes with --remove', 'usage');
  const target = resolveEngineTarget(text('target'), text('context'), text('host'));
  const name = text('name') ?? 'skypipe';
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
    throw new PipeError(`--name: '${name}' is not a container name (letters, digits, '_', '.', '-')`, 'usage');
  const buildArgs: Record<string, string> = {};
  for (const pair of list('build-arg')) {
    const at = pair.indexOf('=');
    if (at < 1) throw new PipeError(`--build-arg: '${pair}' is not KEY=VALUE`, 'usage');
    buildArgs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const settings: DeploySettings = {
    name,
    host: target.host,
    username: username(text('username')),
    mqttsPort: port(text('mqtts-port') ?? '8883', 'mqtts-port'),
    wssPort: port(text('wss-port') ?? '443', 'wss-port'),
    buildArgs,
    ulimits: list('ulimit').map(ulimit),
  };
  const request = {
    target,
    settings,
    passwordStdin: argv['password-stdin'] === true,
    resetPassword: argv['reset-password'] === true,
  };
  const steps = await import('./deploy.js');
  if (argv['dry-run'] === true) return steps.dryRun(request);
  if (argv.remove === true) return steps.remove(request, argv.purge === true);
  return steps.deploy(request);
}
