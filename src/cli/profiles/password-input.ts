import { askHidden, firstLineOfStdin } from '../ask-hidden.js';

/** A password: asked without echo on a terminal, else the first line of standard input. */
export async function readPasswordInput(question: string): Promise<string> {
  return process.stdin.isTTY ? askHidden(question) : firstLineOfStdin();
}
