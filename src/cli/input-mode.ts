import { fstatSync } from 'node:fs';

export type Mode = 'send' | 'receive';

/**
 * `skypipe NAME` sends when standard input is a pipe, a file or a socket, and receives when it is
 * a terminal, /dev/null or another character device, or closed: a job started from cron, CI or
 * `ssh -n` receives instead of sending an empty stream.
 */
export function modeFromStdin(): Mode {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isFile() || stat.isSocket() ? 'send' : 'receive';
  } catch {
    return 'receive';
  }
}

/** The input's size when it is a regular file, for the progress display. */
export function stdinFileSize(): number | undefined {
  try {
    const stat = fstatSync(0);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}
