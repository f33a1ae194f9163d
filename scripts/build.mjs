// Bundles the command into dist/ so it starts fast. The broker is a separate chunk, loaded only by `skypipe broker`.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { skypipe: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native addons, and the engine client with its SSH library's optional addons: loaded from
  // node_modules at run time.
  external: ['classic-level', '@napi-rs/keyring', 'dockerode', 'tar-fs'],
  define: { SKYPIPE_VERSION: JSON.stringify(version) },
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __skypipeRequire } from 'node:module';",
      'const require = __skypipeRequire(import.meta.url);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
chmodSync(new URL('../dist/skypipe.mjs', import.meta.url), 0o755);
// npm leaves package-lock.json out of packages; `skypipe deploy` builds the image from it.
copyFileSync(new URL('../package-lock.json', import.meta.url), new URL('../dist/package-lock.json', import.meta.url));
// The manual page, from the help of the command just built.
await import('./man-page.mjs');
