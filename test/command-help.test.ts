// Each command's help, the usage errors that point at it, shell completion and the manual page.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SKYPIPE, skyForSuite } from './harness.js';

const MAN_PAGE = join(SKYPIPE, '..', 'skypipe.1');

/** The options a help lists, by their long names, each between spaces. */
const optionsIn = (help: string) =>
  [...help.matchAll(/^ +(?:-\w, )?--([\w-]+) /gm)].map((match) => ` ${match[1]!} `).join('');

function installed(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

describe('help, completion and the manual page', () => {
  const sky = skyForSuite();
  const help = async (...words: string[]) => {
    const shown = await sky.run([...words, '--help']);
    assert.deepEqual([shown.code, shown.stderr.toString()], [0, ''], words.join(' '));
    return shown.stdout.toString();
  };

  it("lists each command's own options, with examples", async () => {
    const send = await help('send');
    assert.match(send, /^skypipe send \[name\]\n/);
    assert.match(send, /--capacity/);
    assert.match(send, /--url/);
    assert.doesNotMatch(optionsIn(send), / (follow|sender-timeout|tls-port) /);
    const recv = await help('recv');
    assert.match(recv, /-f, --follow/);
    assert.match(recv, /--sender-timeout/);
    assert.doesNotMatch(optionsIn(recv), / (capacity|frame-size|tls-port) /);
    const broker = await help('broker');
    assert.match(broker, /--tls-port/);
    assert.match(broker, /skypipe broker user \[operation\] \[name\]/);
    assert.doesNotMatch(optionsIn(broker), / (follow|capacity|url|dir) /);
    const cert = await help('broker', 'cert');
    assert.match(cert, /--dir/);
    assert.equal(optionsIn(cert), ' version  dir  name  force  help ');
    const status = await help('status');
    assert.match(status, /--json/);
    assert.doesNotMatch(optionsIn(status), / (follow|capacity) /);
    const either = await help();
    assert.match(either, /--follow/);
    assert.match(either, /--capacity/);
    for (const words of [
      [],
      ['send'],
      ['recv'],
      ['status'],
      ['broker'],
      ['broker', 'cert'],
      ['broker', 'user'],
      ['deploy'],
      ['login'],
      ['logout'],
      ['profiles'],
    ])
      assert.match(await help(...words), /\nExamples:\n {2}\S/, words.join(' ') || 'skypipe');
  });

  it('names every command in the usage', async () => {
    const usage = (await help()).split('\n\n')[0]!;
    for (const command of [
      'send|recv',
      'status',
      'broker [run|status|stop|cert]',
      'broker user add|remove|list',
      'deploy',
      'login',
      'logout',
      'profiles',
      'completion',
    ])
      assert.ok(usage.includes(command), command);
  });

  it("refuses another command's flag in one line naming the command that takes it", async () => {
    for (const [args, line] of [
      [['send', 'x', '--follow'], 'Unknown argument: follow (recv takes it); see skypipe send --help'],
      [['recv', 'x', '--capacity', '1M'], 'Unknown argument: capacity (send takes it); see skypipe recv --help'],
      [['x', '--json'], 'Unknown argument: json (status takes it); see skypipe --help'],
      [['broker', 'cert', '--port', '1883'], 'Unknown argument: port; see skypipe broker cert --help'],
      [['status', '--follow'], 'Unknown argument: follow (recv takes it); see skypipe status --help'],
      [
        ['completion', 'tcsh'],
        "'skypipe completion' writes scripts for bash, zsh, fish, not 'tcsh'; see skypipe --help",
      ],
    ] as const) {
      const refused = await sky.run([...args], { input: 'x\n' });
      assert.deepEqual(
        [refused.code, refused.stdout.toString(), refused.stderr.toString()],
        [2, '', `skypipe: ${line}\n`],
      );
    }
  });

  it('prints completion scripts that bash takes, and completes commands and their options', async () => {
    const script = await sky.run(['completion']);
    assert.equal(script.code, 0);
    assert.match(script.stdout.toString(), /complete -o bashdefault -o default -F _skypipe_yargs_completions skypipe/);
    const file = join(sky.dir, 'completion.bash');
    writeFileSync(file, script.stdout);
    assert.equal(spawnSync('bash', ['-n', file]).status, 0);
    const zsh = await sky.run(['completion', 'zsh']);
    assert.match(zsh.stdout.toString(), /^#compdef skypipe\n/);
    const bin = join(sky.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'skypipe'), `#!/bin/sh\nexec '${process.execPath}' '${SKYPIPE}' "$@"\n`);
    chmodSync(join(bin, 'skypipe'), 0o755);
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source '${file}'; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _skypipe_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'bash',
          'skypipe',
          ...words,
        ],
        { env: { ...sky.env, PATH: `${bin}:${process.env.PATH}`, SHELL: '/bin/bash' }, encoding: 'utf8' },
      );
    assert.equal(complete('se'), 'send\n');
    assert.equal(complete('send', '--f'), '--frame-size\n');
    assert.equal(complete('recv', '--f'), '--follow\n');
    assert.equal(complete('broker', 'c'), 'cert\n');
    assert.equal(
      (await sky.run(['--get-yargs-completions', 'se'])).stdout.toString().split('\n').includes('send'),
      true,
    );
  });

  it(
    'has a manual page that groff renders without a warning',
    { skip: !installed('groff') && process.env.CI !== 'true' },
    () => {
      assert.ok(existsSync(MAN_PAGE), 'dist/skypipe.1, written by npm run build');
      const rendered = spawnSync('groff', ['-man', '-Tutf8', '-ww', MAN_PAGE], {
        encoding: 'utf8',
        env: { ...process.env, LC_ALL: 'C.UTF-8' },
      });
      assert.deepEqual([rendered.status, rendered.stderr], [0, '']);
      const text = rendered.stdout.replace(/.\x08/g, '');
      for (const expected of ['skypipe broker user [operation] [name]', '--follow', '--tls-port', 'EXIT STATUS'])
        assert.ok(text.includes(expected), expected);
    },
  );
});
