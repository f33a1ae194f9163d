import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { PipeError } from '../../protocol/errors.js';
import { engineMessage, type Engine } from './engine.js';
import { imageName, LABEL, type DeploySettings } from './spec.js';

/** What the Dockerfile copies: the sources it builds from, shipped in the package. */
const SOURCES = ['Dockerfile', 'package.json', 'tsconfig.json', 'scripts/build.mjs', 'src'];
/** The lockfile: at the top of a checkout; in dist/ in a package, which npm leaves it out of. */
const LOCKFILES = ['package-lock.json', 'dist/package-lock.json'];

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
  const { pack } = await import('tar-fs');
  const tar = pack(context, {
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
  let failure: string | undefined;
  const tail: string[] = [];
  try {
    const stream = await engine.docker.buildImage(Readable.from(tar), options);
    await new Promise<void>((done, fail) =>
      engine.docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? fail(error) : done()),
        (event: { stream?: string; error?: string }) => {
          if (event.error !== undefined) failure = event.error;
          for (const line of (event.stream ?? '').split('\n').filter((text) => text.trim() !== '')) {
            tail.push(line.trim());
            if (tail.length > 3) tail.shift();
          }
        },
      ),
    );
  } catch (error) {
    failure = engineMessage(error);
  }
  if (failure !== undefined) {
    const last = tail.length > 0 ? ` (last: ${tail.join(' | ')})` : '';
    throw new PipeError(`building the broker image failed: ${failure.replace(/\s+/g, ' ').trim()}${last}`);
  }
}
