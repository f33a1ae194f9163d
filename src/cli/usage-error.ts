import type { Options } from 'yargs';
import { PipeError } from '../protocol/errors.js';
import { PIPE_COMMAND_OPTIONS } from './transfer-options.js';

function takes(options: Record<string, Options>, flag: string): boolean {
  return Object.entries(options).some(([name, option]) => name === flag || option.alias === flag);
}

/**
 * The one line for a command line the parser refused, pointing at the help of the command typed
 * (`command`: "send", "broker cert"; empty for `skypipe [NAME]`). A flag that belongs to another
 * command, as --follow given to send, says which command takes it.
 */
export function usageError(message: string, command: string): PipeError {
  const help = `see skypipe ${command === '' ? '' : `${command} `}--help`;
  const unknown = /^Unknown argument: (\S+)$/.exec(message)?.[1];
  const others = Object.entries(PIPE_COMMAND_OPTIONS)
    .filter(([name, options]) => name !== command && unknown !== undefined && takes(options, unknown))
    .map(([name]) => name);
  const owner = command === '' ? others.filter((name) => name === 'status') : others;
  const hint = owner.length === 0 ? '' : ` (${owner.join(' and ')} ${owner.length === 1 ? 'takes' : 'take'} it)`;
  return new PipeError(`${message}${hint}; ${help}`, 'usage');
}
