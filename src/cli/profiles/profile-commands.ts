import type { CommandModule } from 'yargs';
import { CONNECTION_OPTIONS, hiddenOptions } from '../connection-options.js';

type Run = (work: () => Promise<number>) => () => Promise<void>;
type Entered = (command: string) => void;
type Args = Record<string, unknown>;

const text = (argv: Args, key: string) => argv[key] as string | undefined;

/** `skypipe login`, `logout` and `profiles`; their code loads only when one of them runs. */
export function profileCommands(run: Run, entered: Entered): CommandModule<object, Args>[] {
  return [
    {
      command: 'login [broker]',
      describe:
        "save a broker as a profile: URL or invitation (mqtts://USER@HOST:8883/?pin=FINGERPRINT); the password is asked, or read from standard input's first line; '--status' says where each password is kept",
      builder: (y) => (
        entered('login'),
        y
          .positional('broker', { type: 'string' })
          .option('user', { type: 'string', describe: 'the user name, over the one in the URL' })
          .option('pin', CONNECTION_OPTIONS.pin)
          .options(hiddenOptions(['username']))
          .option('name', { type: 'string', describe: 'the profile name (default: the host name)' })
          .option('status', { type: 'boolean', describe: 'where each profile keeps its password' })
          .example("$0 login 'mqtts://me@host:8883/?pin=…'", 'an invitation; asks for the password')
          .example('$0 login mqtt://127.0.0.1:1883 --name here', 'a broker without users')
          .example('$0 login --status', 'where each password is kept, checked')
      ),
      handler: (argv) =>
        run(async () => {
          const { login, loginStatus } = await import('./login-command.js');
          if (argv.status === true) return loginStatus();
          return login({
            broker: text(argv, 'broker'),
            user: text(argv, 'user') ?? text(argv, 'username'),
            pin: text(argv, 'pin'),
            name: text(argv, 'name'),
          });
        })(),
    },
    {
      command: 'logout [profile-name]',
      describe: 'forget a profile (default: the default one) and its password',
      builder: (y) => (
        entered('logout'),
        y
          .positional('profile-name', { type: 'string' })
          .option('profile', CONNECTION_OPTIONS.profile)
          .example('$0 logout', 'the default profile')
          .example('$0 logout home', 'profile home')
      ),
      handler: (argv) =>
        run(async () =>
          (await import('./login-command.js')).logout(text(argv, 'profile-name') ?? text(argv, 'profile')),
        )(),
    },
    {
      command: 'profiles',
      describe: 'list the saved profiles, the default one marked *',
      builder: (y) => (
        entered('profiles'),
        y
          .option('show-password', {
            type: 'string',
            describe: "print profile NAME's password on standard output, to pipe into another 'skypipe login'",
          })
          .option('default', { type: 'string', describe: 'make profile NAME the default one' })
          .example('$0 profiles', 'the saved profiles, * the default one')
          .example('$0 profiles --default home', 'commands use profile home from now on')
      ),
      handler: (argv) =>
        run(async () =>
          (await import('./profiles-command.js')).profilesCommand({
            showPassword: text(argv, 'show-password'),
            makeDefault: text(argv, 'default'),
          }),
        )(),
    },
  ];
}
