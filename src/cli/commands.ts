import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { PipeError } from '../protocol/errors.js';
import { withBrokerCommand } from './broker-command-line.js';
import { chooseCompletionShell, completeOptionsAndCommands } from './completion.js';
import { DEPLOY_DESCRIPTION, deployOptions } from './deploy/options.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { say } from './messages.js';
import { profileCommands } from './profiles/profile-commands.js';
import { describeFailure } from './remedies.js';
import { EITHER_WAY_OPTIONS, PIPE_COMMAND_OPTIONS } from './transfer-options.js';
import { usageError } from './usage-error.js';

declare const SKYPIPE_VERSION: string;

// Each command's code (the MQTT client, the broker) is loaded when that command runs: `--version`,
// `--help` and a usage error start without it.
const transfer: typeof import('./transfer-commands.js').transfer = async (...args) =>
  (await import('./transfer-commands.js')).transfer(...args);

const EPILOGUE = `With no NAME, the default pipe. Sends when standard input is a pipe or a file, receives otherwise;
scripts should say 'send' or 'recv'. Broker: --url, else SKYPIPE_URL, else a 'skypipe login'
profile, else a local broker that skypipe starts by itself (see 'skypipe broker status').
Each command's options: skypipe COMMAND --help.

Exit codes: 0 done; 1 error; 2 usage; 3 a stream arrived incomplete or failed its check;
141 the reader of the output went away; 128+N killed by signal N.`;

// yargs drops a line's leading spaces, so the lines after the first say "or:", as GNU tools do.
const USAGE = `Usage: skypipe [send|recv] [NAME] [options]
or:    skypipe status [NAME] [--json]
or:    skypipe broker [run|status|stop|cert] [options]
or:    skypipe broker user add|remove|list [USER]
or:    skypipe deploy [TARGET] [options]
or:    skypipe login URL | logout [PROFILE] | profiles
or:    skypipe completion [bash|zsh|fish]`;

async function main(): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = (work: () => Promise<number>) => async () => {
    exitCode = await work();
  };
  // The command whose options the parser checks, for the pointer to its help in a usage error.
  let command = '';
  const entered = (name: string) => {
    command = name;
  };
  const args = hideBin(process.argv);
  chooseCompletionShell(args);
  const commands = yargs(args)
    .scriptName('skypipe')
    .parserConfiguration({ 'parse-positional-numbers': false, 'parse-numbers': false })
    .usage(USAGE)
    .command(
      '$0 [name]',
      'send standard input into pipe NAME, or receive from it',
      (y) =>
        y
          .positional('name', { type: 'string' })
          .options(EITHER_WAY_OPTIONS)
          .example('cat file | $0', 'into the default pipe; then, anywhere, skypipe > file')
          .example('tail -f /var/log/syslog | $0 logs', 'every line into pipe logs')
          .example('$0 -f logs >> aggregate', 'the lines of every sender, as they come'),
      (argv) => run(() => transfer('auto', argv))(),
    )
    .command(
      'send [name]',
      'send standard input into pipe NAME as one stream',
      (y) => (
        entered('send'),
        y
          .positional('name', { type: 'string' })
          .options(PIPE_COMMAND_OPTIONS.send)
          .example('tar c dir | $0 send backup', 'waits in the pipe until someone receives it')
          .example('$0 send logs --url mqtts://box.example.net', 'to a broker of your own')
          .example('echo | $0 send trigger', "wakes a script waiting on 'skypipe recv trigger'")
      ),
      (argv) => run(() => transfer('send', argv))(),
    )
    .command(
      ['recv [name]', 'receive [name]'],
      'receive one stream from pipe NAME onto standard output',
      (y) => (
        entered('recv'),
        y
          .positional('name', { type: 'string' })
          .options(PIPE_COMMAND_OPTIONS.recv)
          .example('$0 recv backup | tar x', 'the next stream in pipe backup')
          .example('$0 recv -f logs >> aggregate', 'stream after stream, until interrupted')
          .example('$0 recv trigger && ./next-step', 'waits for a sender')
      ),
      (argv) => run(() => transfer('receive', argv))(),
    )
    .command(
      'status [name]',
      'which broker is in use and whether it answers; what waits in pipe NAME, or in every pipe',
      (y) => (
        entered('status'),
        y
          .positional('name', { type: 'string' })
          .options(PIPE_COMMAND_OPTIONS.status)
          .example('$0 status', 'the broker and every pipe with a consumer, a sender or a stream waiting')
          .example('$0 status logs --json', 'one pipe, for scripts')
      ),
      (argv) => run(async () => (await import('./status-command.js')).status(argv))(),
    )
    .command(profileCommands(run, entered))
    .command(
      'deploy [target]',
      DEPLOY_DESCRIPTION,
      (y) => (entered('deploy'), deployOptions(y)),
      (argv) => run(async () => (await import('./deploy/command.js')).deployCommand(argv))(),
    );
  const parser = withBrokerCommand(commands, run, entered)
    .completion(
      'completion',
      'print a completion script for bash, zsh or fish: skypipe completion >> ~/.bashrc',
      completeOptionsAndCommands,
    )
    .epilogue(EPILOGUE)
    .version(SKYPIPE_VERSION)
    .help()
    .alias('h', 'help')
    .strict()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      if (error) throw error;
      throw usageError(message, command);
    });
  skipHelpRendering(parser);
  await parser.parseAsync();
  return exitCode;
}

/**
 * yargs renders the whole help text each time a command starts, in case the command shows it
 * later; none does, and on the way to a send it cost about 25 ms of a core. Help itself is
 * rendered when asked for, as before.
 */
function skipHelpRendering(parser: object): void {
  type Internals = { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?(): void } } };
  const usage = (parser as Internals).getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage !== undefined) usage.cacheHelpMessage = () => {};
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
