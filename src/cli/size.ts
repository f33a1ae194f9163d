import { PipeError } from '../protocol/errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses a byte size such as 65536, 64k, 32M or 1G (binary units). */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!match)
    throw new PipeError(
      `${flag}: '${text}' is not a size; use bytes or a number with K, M or G (for example 32M)`,
      'usage',
    );
  const bytes = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new PipeError(`${flag}: '${text}' is out of range`, 'usage');
  return bytes;
}
