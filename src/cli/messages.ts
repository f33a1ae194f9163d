/** Everything skypipe says on stderr goes through here: one line, prefixed with the command name. */
export function say(message: string): void {
  process.stderr.write(`skypipe: ${message}\n`);
}

export const stderrIsTerminal = (): boolean => process.stderr.isTTY === true;
