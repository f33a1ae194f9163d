// Writes dist/skypipe.1, the manual page, from the help the built command prints: the same
// definitions as `skypipe COMMAND --help`, so the two cannot disagree.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const command = new URL('../dist/skypipe.mjs', import.meta.url).pathname;
const { version, description } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const help = (words) => execFileSync(process.execPath, [command, ...words, '--help'], { encoding: 'utf8' });

/** roff text: no escapes, no line read as a request. */
const text = (line) =>
  line
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/, '\\&$1')
    .replace(/[^\x00-\x7f]/g, (char) => `\\[u${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
const flag = (name) => text(name).replace(/-/g, '\\-');

/** The help's sections by title ("Options", "Examples"); what precedes the first is "". */
function sections(output) {
  const found = { '': [] };
  let current = '';
  for (const line of output.split('\n')) {
    const title = /^([A-Z][a-z]+):$/.exec(line)?.[1];
    if (title !== undefined) found[(current = title)] = [];
    else found[current].push(line);
  }
  return found;
}

/** Two columns (term, then its words wrapped into a column of their own) as [term, words] pairs. */
function entries(lines) {
  const pairs = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const start = /^ {2}(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
    if (start !== null && !/^ {3}/.test(line)) pairs.push([start[1].trim(), start[2] ?? '']);
    else if (/^ {2}-[a-zA-Z], |^ {6}--/.test(line)) {
      const [, term, words] = /^\s*(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
      pairs.push([term, words ?? '']);
    } else if (pairs.length > 0) pairs[pairs.length - 1][1] += ` ${line.trim()}`;
  }
  return pairs.map(([term, words]) => [term, words.replace(/\s+/g, ' ').trim()]);
}

const describeOption = (words) => words.replace(/\s*\[(string|boolean|array|number)\]/g, '').trim();

function commandPage(title, output, about) {
  const parts = sections(output);
  const out = [`.SS ${text(title)}`, text(about)];
  for (const [term, words] of entries(parts.Positionals ?? [])) {
    const described = describeOption(words);
    if (described !== '') out.push('.TP', `.I ${text(term)}`, text(described));
  }
  for (const [term, words] of entries(parts.Options ?? [])) {
    if (/--(help|version)\b/.test(term)) continue;
    out.push('.TP', `\\fB${flag(term)}\\fR`, text(describeOption(words)));
  }
  const examples = entries(parts.Examples ?? []);
  if (examples.length > 0) {
    out.push('.PP', 'Examples:', '.RS');
    for (const [term, words] of examples) out.push('.TP', `\\fB${text(term)}\\fR`, text(words));
    out.push('.RE');
  }
  return out;
}

const top = sections(help([]));
const usage = top[''].filter((line) => line.trim() !== '').map((line) => line.replace(/^(Usage:|or:) +/, ''));
const after = top.Examples.join('\n').split('\n\n').slice(1).join('\n\n').trim();
const [about, exits] = after.split(/\n\n(?=Exit codes)/);
/** Each command of a Commands section: its usage, its words, what it does. */
const commandsOf = (lines) =>
  entries(lines)
    .map(([term, about]) => ({
      term: term.replace(/\s*\[(default|aliases: .*)\]$/, ''),
      words: term.split(' ').filter((word) => word !== 'skypipe' && !/^[[<]/.test(word)),
      about: about.replace(/\s*\[(default|aliases: [^\]]*)\]/g, ''),
    }))
    .filter(({ words }) => words[0] !== 'completion');
const pages = [];
for (const { term, words, about: what } of commandsOf(top.Commands)) {
  pages.push(commandPage(term, words.length === 0 ? help([]).split(/\n\nWith no NAME/)[0] : help(words), what));
  if (words[0] === 'broker')
    for (const sub of commandsOf(sections(help(['broker'])).Commands))
      pages.push(commandPage(sub.term, help(sub.words), sub.about));
}
const completion = entries(top.Commands).find(([term]) => term.startsWith('skypipe completion'));

const page = [
  `.TH SKYPIPE 1 "" "skypipe ${version}" "User Commands"`,
  '.SH NAME',
  `skypipe \\- ${text(description.replace(/^Named pipes/, 'named pipes'))}`,
  '.SH SYNOPSIS',
  '.nf',
  ...usage.map(text),
  '.fi',
  '.SH DESCRIPTION',
  text(about.replace(/\s+/g, ' ')),
  '.SH COMMANDS',
  ...pages.flat(),
  '.SS skypipe completion [bash|zsh|fish]',
  text(completion?.[1] ?? ''),
  '.SH EXIT STATUS',
  text(exits.replace(/^Exit codes: /, '').replace(/\s+/g, ' ')),
  '.SH SEE ALSO',
  'README.md, SECURITY.md and PROTOCOL.md, installed with the package.',
  '',
].join('\n');
writeFileSync(new URL('../dist/skypipe.1', import.meta.url), page);
