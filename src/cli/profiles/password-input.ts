import { askHidden } from '../broker-users-command.js';

/** A password: asked without echo on a terminal, else the first line of standard input. */
export async function readPasswordInput(question: string): Promise<string> {
  if (process.stdin.isTTY) return askHidden(question);
  let input = '';
  for await (const chunk of process.stdin) {
    input += String(chunk);
    if (input.includes('\n')) break;
  }
  return input.split(/\r?\n/)[0] ?? '';
}
