import { readFileSync } from 'node:fs';
import { PipeError } from '../protocol/errors.js';

/** A file a flag or variable names (`origin`), or a usage error saying why it cannot be read. */
export function readTextFile(path: string, origin: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new PipeError(`${origin}: cannot read ${path}: ${reason}`, 'usage');
  }
}
