// The package as users get it: `npm pack` holds what a user and `skypipe deploy` need and nothing
// else, a global install of it pulls only the native addons the bundle loads, and the installed
// command sends and receives through its own local broker. The install fetches those few packages
// from the registry (or npm's cache). Runs on the dist/ that `npm run build` made: packing with
// --ignore-scripts leaves it as it is for the test files running beside this one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOCKFILES, SOURCES } from '../src/cli/deploy/image.js';
import { killGroup } from './process-groups.js';
import { SKYPIPE, startProcess, type Result } from './harness.js';

const REPOSITORY = resolve(dirname(SKYPIPE), '..');
const DIST = join(REPOSITORY, 'dist');
const { version, dependencies } = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

/** What users and `skypipe deploy` (the Dockerfile and what it builds from) need, at the package's top. */
const SHIPPED = [
  'Dockerfile',
  'LICENSE',
  'PROTOCOL.md',
  'README.md',
  'SECURITY.md',
  'dist',
  'docs',
  'package.json',
  'scripts/build.mjs',
  'scripts/man-page.mjs',
  'src',
  'tsconfig.json',
];

/** npm run with a bound: a registry that does not answer fails the test instead of hanging it. */
function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 180_000 });
  assert.equal(run.status, 0, `npm ${args.join(' ')}: ${run.error?.message ?? run.stderr}`);
  return run.stdout;
}

/** The installed command, with `env`, killed if it runs past `ms`. */
async function skypipe(bin: string, args: string[], env: NodeJS.ProcessEnv, input?: string, ms = 30_000) {
  const running = startProcess(bin, args, { env, input: input ?? 'null' });
  const timer = setTimeout(() => killGroup(running.child, 'SIGKILL'), ms);
  const result: Result = await running.result;
  clearTimeout(timer);
  return result;
}

/** The dist/ files that name `file` (its basename) in an import, static or dynamic. */
function importers(file: string): { name: string; dynamic: boolean }[] {
  const found: { name: string; dynamic: boolean }[] = [];
  for (const name of readdirSync(DIST).filter((entry) => entry.endsWith('.mjs'))) {
    const text = readFileSync(join(DIST, name), 'utf8');
    if (text.includes(`import("./${file}")`)) found.push({ name, dynamic: true });
    if (new RegExp(`(from|import) "\\./${file.replace('.', '\\.')}"`).test(text)) found.push({ name, dynamic: false });
  }
  return found;
}

/** The one dist/ chunk holding the code of `pkg` (esbuild marks each bundled module with its path). */
function chunkOf(pkg: string): string {
  const holders = readdirSync(DIST).filter(
    (name) => name.endsWith('.mjs') && readFileSync(join(DIST, name), 'utf8').includes(`// node_modules/${pkg}/`),
  );
  assert.equal(holders.length, 1, `${pkg} is bundled in ${holders.join(', ') || 'no chunk'}`);
  return holders[0]!;
}

describe('the package', () => {
  const work = mkdtempSync(join(tmpdir(), 'skypipe-package-'));
  const prefix = join(work, 'prefix');
  const installed = join(prefix, 'lib', 'node_modules', 'skypipe');
  const bin = join(prefix, 'bin', 'skypipe');
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: join(work, 'state') };
  env.XDG_CONFIG_HOME = join(work, 'config');
  delete env.SKYPIPE_URL;
  delete env.SKYPIPE_PROFILE;
  delete env.SKYPIPE_TOPIC_PREFIX;

  before(() => {
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPOSITORY));
    const tarball = join(work, (packed as { filename: string }).filename);
    npm(['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], work);
  });
  after(async () => {
    if (existsSync(bin)) await skypipe(bin, ['broker', 'stop'], env);
    rmSync(work, { recursive: true, force: true });
  });

  it('holds what a user and skypipe deploy need, and nothing else', () => {
    const [listing] = JSON.parse(npm(['pack', '--dry-run', '--ignore-scripts', '--json'], REPOSITORY));
    const paths = (listing as { files: { path: string }[] }).files.map(({ path }) => path);
    const tops = new Set(paths.map((path) => (path.startsWith('scripts/') ? path : path.split('/')[0]!)));
    assert.deepEqual([...tops].sort(), SHIPPED);
    assert.ok(paths.includes('dist/package-lock.json'), 'the lockfile the image is built from');
    assert.ok(paths.includes('dist/skypipe.mjs'));
  });

  it('installs only the native addons the bundle loads, and what they need', () => {
    assert.deepEqual(Object.keys(dependencies).sort(), ['@napi-rs/keyring', 'classic-level']);
    const modules = join(installed, 'node_modules');
    const present = readdirSync(modules)
      .filter((name) => !name.startsWith('.'))
      .flatMap((name) =>
        name.startsWith('@') ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
      );
    for (const bundled of ['mqtt', 'yargs', 'aedes', 'ioredis', 'pino', 'dockerode', 'ssh2', '@grpc/grpc-js'])
      assert.ok(!present.includes(bundled), `${bundled} is installed, but it is in the bundle`);
    // Everything present is reachable from the dependencies through the packages' own dependencies.
    const reached = new Set<string>();
    const visit = (name: string) => {
      if (reached.has(name) || !present.includes(name)) return;
      reached.add(name);
      const manifest = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as Record<
        string,
        Record<string, string> | undefined
      >;
      for (const field of ['dependencies', 'optionalDependencies'])
        for (const next of Object.keys(manifest[field] ?? {})) visit(next);
    };
    for (const name of Object.keys(dependencies)) visit(name);
    assert.deepEqual(
      present.filter((name) => !reached.has(name)),
      [],
    );
  });

  it('runs as installed: its manual page, its version, and a pipe through its own local broker', async () => {
    const manual = join(prefix, 'share', 'man', 'man1', 'skypipe.1');
    assert.equal(
      readFileSync(manual, 'utf8'),
      readFileSync(join(DIST, 'skypipe.1'), 'utf8'),
      'the manual page, linked',
    );
    const shown = await skypipe(bin, ['--version'], env);
    assert.equal(shown.stdout.toString(), `${version}\n`);
    assert.equal(shown.code, 0);
    const sent = await skypipe(bin, ['packaged'], env, 'from the installed package\n');
    assert.equal(sent.code, 0, sent.stderr);
    const received = await skypipe(bin, ['packaged'], env);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'from the installed package\n');
  });

  it('builds the bundle from what skypipe deploy sends, as the image build does', async () => {
    // The Dockerfile's build stage, without the engine: npm ci, then npm run build.
    const context = join(work, 'image-build');
    for (const entry of SOURCES) cpSync(join(installed, entry), join(context, entry), { recursive: true });
    const lockfile = LOCKFILES.find((entry) => existsSync(join(installed, entry)));
    assert.equal(lockfile, 'dist/package-lock.json');
    cpSync(join(installed, lockfile), join(context, 'package-lock.json'));
    npm(['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], context);
    npm(['run', 'build'], context);
    const built = await skypipe(process.execPath, [join(context, 'dist', 'skypipe.mjs'), '--version'], env);
    assert.equal(built.stdout.toString(), `${version}\n`);
    assert.ok(existsSync(join(context, 'dist', 'skypipe.1')), 'the manual page');
  });

  it('keeps the Redis store and the container engine client in chunks only their commands load', () => {
    for (const pkg of ['ioredis', 'dockerode']) {
      const chunk = chunkOf(pkg);
      assert.deepEqual(
        importers(chunk).map(({ dynamic }) => dynamic),
        [true],
        `${chunk} (${pkg}) must be loaded by exactly one dynamic import`,
      );
    }
    assert.match(chunkOf('ioredis'), /^redis-storage-/);
    assert.equal(chunkOf('mqemitter-redis'), chunkOf('ioredis'));
  });
});
