import { PipeError } from '../protocol/errors.js';

const SHELLS = ['bash', 'zsh', 'fish'];

/**
 * `skypipe completion [SHELL]`: the parser writes the script for the shell $SHELL names; a shell
 * named on the command line takes its place, so a bash user can make zsh's script.
 */
export function chooseCompletionShell(args: readonly string[]): void {
  if (args[0] !== 'completion' || args[1] === undefined || args[1].startsWith('-')) return;
  if (!SHELLS.includes(args[1]))
    throw new PipeError(
      `'skypipe completion' writes scripts for ${SHELLS.join(', ')}, not '${args[1]}'; see skypipe --help`,
      'usage',
    );
  process.env.SHELL = `/bin/${args[1]}`;
  delete process.env.ZSH_NAME;
}

type Done = (error: Error | null, completions: string[] | undefined) => void;

/**
 * yargs' own completions, less what a person would not type: the default command's `$0`, and a
 * one-letter alias spelt with two dashes.
 */
export function completeOptionsAndCommands(
  _current: string,
  _argv: unknown,
  completeByDefault: (done: Done) => void,
  done: (completions: string[]) => void,
): void {
  completeByDefault((error, completions) => {
    if (error) throw error;
    const wanted = (completions ?? []).filter((word) => word !== '$0' && !word.startsWith('$0:'));
    done(wanted.map((word) => word.replace(/^--(\w)(:|$)/, '-$1$2')));
  });
}
