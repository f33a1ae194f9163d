import { PipeError } from '../client/index.js';

const UNITS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as a user gives it: seconds (`90`, `2.5`), or with a unit (`30s`, `5m`, `2h`, `1d`);
 * `forever` where `allowForever`. In milliseconds (Infinity for forever).
 */
export function parseDuration(text: string, flag: string, allowForever = false): number {
  if (allowForever && text === 'forever') return Infinity;
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(text);
  const ms = match === null ? NaN : Number(match[1]) * UNITS[match[2] ?? '']!;
  if (!(ms > 0)) {
    const forever = allowForever ? ", or 'forever'" : '';
    throw new PipeError(`${flag}: '${text}' is not a duration; give seconds, or 30s, 5m, 2h, 1d${forever}`, 'usage');
  }
  return ms;
}
