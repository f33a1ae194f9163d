import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PipeError } from '../../protocol/errors.js';
import { BUILD_SILENCE_MS, ENGINE_ANSWER_MS, withTimeout } from './bounded.js';
import { BuildProgress } from './build-stream.js';
import { engineMessage, type Engine } from './engine.js';
import { imageName, LABEL, type DeploySettings } from './spec.js';

/** What the Dockerfile copies: the sources it builds from, shipped in the package. */
export const SOURCES = [
  'Dockerfile',
  'package.json',
  'tsconfig.json',
  'scripts/build.mjs',
  'scripts/man-page.mjs',
  'src',
];
/** The lockfile: at the top of a checkout; in dist/ in a package, which npm leaves it out of. */
export const LOCKFILES = ['package-lock.json', 'dist/package-lock.json'];

/** The installed package's directory: the bundle runs from dist/ under it. */
export function packageDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/** Builds the broker image on the engine from the package's Dockerfile and sources. */
export async function buildImage(engine: Engine, settings: DeploySettings): Promise<void> {
  const context = packageDir();
  const lockfile = LOCKFILES.find((entry) => existsSync(join(context, entry)));
  const missing = lockfile === undefined ? LOCKFILES[0] : SOURCES.find((entry) => !existsSync(join(context, entry)));
  if (missing !== undefined)
    throw new PipeError(`cannot build the broker image: ${join(context, missing)} is missing from this installation`);
  // Its default export: the bundle does not give a CommonJS module the named exports Node would.
  const { default: tarFs } = await import('tar-fs');
  const tar = tarFs.pack(context, {
    entries: [...SOURCES, lockfile!],
    map: (header) => (header.name === lockfile ? { ...header, name: 'package-lock.json' } : header),
  });
  const options = {
    t: imageName(),
    buildargs: settings.buildArgs,
    labels: { [LABEL]: '1' },
    // Podman's builds take the limits their RUN steps get; Docker's ignore the parameter.
    ...(settings.ulimits.length > 0
      ? { ulimits: JSON.stringify(settings.ulimits.map(({ Name, Soft, Hard }) => `${Name}=${Soft}:${Hard}`)) }
      : {}),
  };
  const progress = new BuildProgress();
  let failure: string | undefined;
  try {
    const stream = (await engine.docker.buildImage(Readable.from(tar), options)) as NodeJS.ReadableStream;
    await readBuild(stream, progress);
    failure = progress.failure;
  } catch (error) {
    failure = error instanceof PipeError ? error.message : engineMessage(error);
  }
  if (failure !== undefined) {
    const last = progress.tail.length > 0 ? ` (last: ${progress.tail.join(' | ')})` : '';
    throw new PipeError(`building the broker image failed: ${failure.replace(/\s+/g, ' ').trim()}${last}`);
  }
  const built = await withTimeout(engine.docker.getImage(imageName()).inspect(), ENGINE_ANSWER_MS, 'the image built');
  const mismatch = architectureMismatch(built.Architecture, engine.arch);
  if (mismatch !== null) throw new PipeError(mismatch);
}

/**
 * Why an image cannot run on the engine: built from a NODE_IMAGE for another architecture, it
 * would fail at its first command. Null when they agree (or the engine does not say).
 */
export function architectureMismatch(image: string | undefined, engine: string): string | null {
  if (image === undefined || image === '' || engine === '' || image === engine) return null;
  return `the broker image is for ${image}, but the engine runs ${engine}: give --build-arg NODE_IMAGE=IMAGE with a Node 20 image for ${engine}`;
}

/** Reads the build's output to its end, into `progress`; fails if the engine falls silent too long. */
function readBuild(stream: NodeJS.ReadableStream, progress: BuildProgress): Promise<void> {
  return new Promise((done, fail) => {
    let timer: NodeJS.Timeout;
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        fail(new PipeError(`the engine sent nothing for ${BUILD_SILENCE_MS / 60_000} minutes`));
      }, BUILD_SILENCE_MS);
    };
    quiet();
    stream.on('data', (chunk: Buffer) => {
      quiet();
      progress.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    });
    stream.on('end', () => {
      clearTimeout(timer);
      progress.end();
      done();
    });
    stream.on('error', (error: Error) => {
      clearTimeout(timer);
      fail(error);
    });
  });
}
