import { homedir } from 'node:os';
import { join } from 'node:path';

/** skypipe's state directory: $XDG_STATE_HOME/skypipe, or ~/.local/state/skypipe. */
export function stateDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state'), 'skypipe');
}
