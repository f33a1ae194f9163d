// Bundles the command into dist/ so it starts fast and installs little. The broker, its Redis store
// and the container engine client are chunks of their own, loaded only by the commands that use them.
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
  // The native addons the store and the keychain need: the package's only dependencies, loaded
  // from node_modules at run time. The SSH library's addons are optional (it falls back to Node's
  // crypto), so their requires stay unresolved and fail softly instead of being installed.
  external: ['classic-level', '@napi-rs/keyring', '*.node'],
  // CommonJS modules in the bundle name their own file and directory (the engine client's at load
  // time): in ESM those are the bundle file's, declared in the banner.
  define: { SKYPIPE_VERSION: JSON.stringify(version), __filename: '__skypipeFilename', __dirname: '__skypipeDirname' },
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __skypipeRequire } from 'node:module';",
      "import { dirname as __skypipeDirnameOf } from 'node:path';",
      "import { fileURLToPath as __skypipePathOf } from 'node:url';",
      'const require = __skypipeRequire(import.meta.url);',
      'const __skypipeFilename = __skypipePathOf(import.meta.url);',
      'const __skypipeDirname = __skypipeDirnameOf(__skypipeFilename);',
    ].join('\n'),
  },
  logLevel: 'warning',
});
chmodSync(new URL('../dist/skypipe.mjs', import.meta.url), 0o755);
// npm leaves package-lock.json out of packages; `skypipe deploy` builds the image from it.
copyFileSync(new URL('../package-lock.json', import.meta.url), new URL('../dist/package-lock.json', import.meta.url));
// The manual page, from the help of the command just built.
await import('./man-page.mjs');
