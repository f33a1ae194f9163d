import type { CommandModule, Options } from 'yargs';

/** The global --profile option. */
export const PROFILE_OPTION: Options = {
  type: 'string',
  describe: "use the broker of this profile, saved by 'skypipe login' (or SKYPIPE_PROFILE; default: the default one)",
  global: true,
};

type Run = (work: () => Promise<number>) => () => Promise<void>;
type Args = Record<string, unknown>;

const text = (argv: Args, key: string) => argv[key] as string | undefined;

/** `skypipe login`, `logout` and `profiles`; their code loads only when one of them runs. */
export function profileCommands(run: Run): CommandModule<object, Args>[] {
  return [
    {
      command: 'login [broker]',
      describe:
        "save a broker as a profile: URL or invitation (mqtts://USER@HOST:8883/?pin=FINGERPRINT); the password is asked, or read from standard input's first line; '--status' says where each password is kept",
      builder: (y) =>
        y
          .positional('broker', { type: 'string' })
          .option('user', { type: 'string', describe: 'login: the user name, over the one in the URL' })
          .option('name', { type: 'string', describe: 'login: the profile name (default: the host name)' })
          .option('status', { type: 'boolean', describe: 'login: where each profile keeps its password' }),
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
      builder: (y) => y.positional('profile-name', { type: 'string' }),
      handler: (argv) =>
        run(async () =>
          (await import('./login-command.js')).logout(text(argv, 'profile-name') ?? text(argv, 'profile')),
        )(),
    },
    {
      command: 'profiles',
      describe: 'list the saved profiles, the default one marked *',
      builder: (y) =>
        y
          .option('show-password', {
            type: 'string',
            describe:
              "profiles: print profile NAME's password on standard output, to pipe into another 'skypipe login'",
          })
          .option('default', { type: 'string', describe: 'profiles: make profile NAME the default one' }),
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
