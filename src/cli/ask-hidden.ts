import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { PipeError } from '../protocol/errors.js';
import { exitCodeForSignal } from './exit-codes.js';

const EXIT_ON_SIGINT = exitCodeForSignal('SIGINT');

/**
 * Asks on the terminal without echoing what is typed. Ctrl-D before an answer fails the command (a
 * cancelled prompt must not look like an empty password that worked); Ctrl-C ends the command as
 * interrupted (exit 130).
 */
export async function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve, reject) => {
    terminal.question(question, resolve);
    terminal.once('close', () => reject(new PipeError('no password given: the input ended at the prompt')));
    terminal.once('SIGINT', () => {
      // Nothing is under way yet (no connection, no output): end as a shell's Ctrl-C does.
      terminal.removeAllListeners('close');
      terminal.close();
      process.stderr.write('\n');
      process.exit(EXIT_ON_SIGINT);
    });
  });
  muted = true;
  try {
    return await answer;
  } finally {
    terminal.close();
    process.stderr.write('\n');
  }
}

/** The first line of standard input (a password given by a script), read no further than its end. */
export async function firstLineOfStdin(): Promise<string> {
  let input = '';
  for await (const chunk of process.stdin) {
    input += String(chunk);
    if (input.includes('\n')) break;
  }
  return input.split(/\r?\n/)[0] ?? '';
}
