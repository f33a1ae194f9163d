import { PipeError } from '../protocol/errors.js';

/** The words `skypipe WORD` takes as a command rather than a pipe name. */
const COMMANDS = ['send', 'recv', 'receive', 'status', 'broker', 'deploy', 'login', 'logout', 'profiles', 'completion'];

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The command a pipe name looks like a typo of: one edit away, or two for names of six letters or
 * more (so that short pipe names such as `logs` are not taken for `login`); null if none.
 */
export function commandLike(name: string): string | null {
  const lower = name.toLowerCase();
  if (COMMANDS.includes(lower) && lower !== name) return lower;
  const limit = name.length >= 6 ? 2 : 1;
  return COMMANDS.find((command) => command !== lower && editDistance(lower, command) <= limit) ?? null;
}

/**
 * `skypipe NAME` with NAME a likely typo of a command, typed by a person (standard error is a
 * terminal): refused with the command meant, so `skypipe sned` does not send into a pipe called
 * "sned". Scripts go on as told, so none breaks.
 */
export function refuseTypo(name: string, personAtTerminal: boolean): void {
  const meant = personAtTerminal ? commandLike(name) : null;
  if (meant === null) return;
  throw new PipeError(
    `'${name}' would be a pipe name here: did you mean 'skypipe ${meant}'? (for a pipe of that name, say 'skypipe send ${name}' or 'skypipe recv ${name}')`,
    'usage',
  );
}
