import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';

/** Asks on the terminal without echoing what is typed. */
export async function askHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  const answer = new Promise<string>((resolve) => terminal.question(question, resolve));
  muted = true;
  const typed = await answer;
  terminal.close();
  process.stderr.write('\n');
  return typed;
}
