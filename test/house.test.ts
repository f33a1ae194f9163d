// The shape of the source tree: which layer may import which, no import cycles, no file too long, the
// formatter's output.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import * as prettier from 'prettier';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Every TypeScript file under a folder, as paths relative to the project. */
function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

interface Import {
  from: string;
  /** A project file (relative to the project), or a package or built-in module as written. */
  to: string;
  local: boolean;
}

/** The imports of one file, static and dynamic, type-only ones included: a type import still ties layers. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(
    /(?:^import|^export)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm,
  )) {
    const spec = (match[1] ?? match[2] ?? match[3])!;
    const local = spec.startsWith('.');
    const to = local ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec)).replace(/\.js$/, '.ts') : spec;
    found.push({ from: file, to, local });
  }
  return found;
}

/** The layer a source file belongs to. */
function layerOf(file: string): 'protocol' | 'transport' | 'client' | 'broker' | 'cli' | 'types' {
  if (file.startsWith('src/client/transport/')) return 'transport';
  const top = file.split('/')[1];
  if (top === 'protocol' || top === 'client' || top === 'broker' || top === 'cli' || top === 'types') return top;
  throw new Error(`${file} is in no layer`);
}

/** The layers each layer may import from (besides itself). */
const MAY_IMPORT: Record<ReturnType<typeof layerOf>, string[]> = {
  protocol: [],
  transport: ['protocol'],
  client: ['protocol', 'transport'],
  broker: ['protocol'],
  cli: ['protocol', 'client', 'broker'],
  types: [],
};

/** The protocol layer is pure: no I/O, no MQTT client. Buffers and hashes are computation. */
const PURE_MODULES = new Set(['node:crypto', 'node:buffer']);

describe('the source tree', () => {
  const files = sourceFiles(SRC);
  const imports = files.flatMap(importsOf);

  it('finds the files and their imports', () => {
    assert.ok(files.length > 40, `${files.length} source files`);
    assert.ok(imports.filter((one) => one.local).length > 100);
  });

  it('imports one way: protocol <- client <- cli, protocol <- broker <- cli, transport below the pipes', () => {
    const wrong = imports
      .filter((one) => one.local)
      .filter((one) => {
        const [from, to] = [layerOf(one.from), layerOf(one.to)];
        return from !== to && !MAY_IMPORT[from].includes(to);
      })
      .map((one) => `${one.from} -> ${one.to}`);
    assert.deepEqual(wrong, []);
  });

  it('keeps the protocol pure: no package and no I/O module', () => {
    const impure = imports
      .filter((one) => layerOf(one.from) === 'protocol' && !one.local && !PURE_MODULES.has(one.to))
      .map((one) => `${one.from} -> ${one.to}`);
    assert.deepEqual(impure, []);
  });

  it('lets the command line into the client only through its face, src/client/index.ts', () => {
    const inside = imports
      .filter((one) => layerOf(one.from) === 'cli' && one.local && ['client', 'transport'].includes(layerOf(one.to)))
      .filter((one) => one.to !== 'src/client/index.ts')
      .map((one) => `${one.from} -> ${one.to}`);
    assert.deepEqual(inside, []);
  });

  it('has no import cycle', () => {
    const edges = new Map<string, string[]>();
    for (const one of imports.filter((each) => each.local))
      edges.set(one.from, [...(edges.get(one.from) ?? []), one.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(cycles, []);
  });

  it('has no source file over 300 lines', () => {
    const long = files
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 300)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    assert.deepEqual(long, []);
  });

  it("is the formatter's output (npm run format)", async () => {
    const checked = [...files, ...sourceFiles(join(ROOT, 'test')), ...sourceFiles(join(ROOT, 'bench'))];
    const unformatted: string[] = [];
    for (const file of checked) {
      const path = join(ROOT, file);
      const options = await prettier.resolveConfig(path);
      assert.ok(options !== null, 'the formatter has its configuration');
      if (!(await prettier.check(readFileSync(path, 'utf8'), { ...options, filepath: path }))) unformatted.push(file);
    }
    assert.deepEqual(unformatted, []);
  });
});
