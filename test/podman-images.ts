// Podman for the tests that run the broker's image: no registry is reachable here, so the base
// image is assembled from this machine's Node (the binary, the libraries ldd lists, npm).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** podman here: runc, and limits given explicitly. */
export const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];

export const podmanInstalled = (): boolean => spawnSync('podman', ['--version']).status === 0;

export function podman(args: string[], input?: Buffer): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync('podman', args, { input, maxBuffer: 64 * 1024 * 1024 });
  return { code: run.status, stdout: String(run.stdout), stderr: String(run.stderr) };
}

export function must(args: string[], input?: Buffer): string {
  const run = podman(args, input);
  assert.equal(run.code, 0, `podman ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trim();
}

/** This machine's CA bundle, for builds whose npm reaches the registry through what this machine trusts. */
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * A root filesystem with this machine's Node where the official images keep it, npm, a shell, and
 * this machine's CA certificates (which npm and Node in it trust), imported as `tag`.
 */
export function assembleBaseImage(tag: string): void {
  const root = mkdtempSync(join(tmpdir(), 'skypipe-rootfs-'));
  try {
    const place = (source: string, target: string) => {
      mkdirSync(join(root, dirname(target)), { recursive: true });
      copyFileSync(realpathSync(source), join(root, target));
    };
    const node = realpathSync(process.execPath);
    const npm = resolve(
      dirname(realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim())),
      '..',
    );
    place(node, '/usr/local/bin/node');
    cpSync(npm, join(root, '/usr/local/lib/node_modules/npm'), { recursive: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, '/usr/local/bin/npm'));
    place('/usr/bin/env', '/usr/bin/env');
    place('/bin/sh', '/bin/sh');
    for (const binary of [node, '/usr/bin/env', realpathSync('/bin/sh')]) {
      const libraries = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout.match(/\/\S+\.so[^\s]*/g) ?? [];
      for (const library of libraries) place(library, library);
    }
    const changes = ['--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin'];
    if (existsSync(CA_BUNDLE)) {
      place(CA_BUNDLE, CA_BUNDLE);
      changes.push(
        '--change',
        `ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`,
        '--change',
        `ENV npm_config_cafile=${CA_BUNDLE}`,
      );
    }
    mkdirSync(join(root, 'tmp'));
    chmodSync(join(root, 'tmp'), 0o1777);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    must(['import', ...changes, '-', tag], tar.stdout);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
