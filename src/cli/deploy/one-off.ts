import type Dockerode from 'dockerode';
import { PipeError } from '../../protocol/errors.js';
import { engineMessage, type Engine } from './engine.js';
import { ENGINE_ANSWER_MS, ONE_OFF_MS, withTimeout } from './bounded.js';
import { LogFrames } from './log-frames.js';
import { secretArchive } from './secret-file.js';

export interface OneOffResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where a one-off container finds its `input`. */
export const INPUT_FILE = '/tmp/input';

/**
 * Runs a one-off container to its end and removes it. `input` (a password) is in INPUT_FILE: never
 * on a command line or in the environment, which the engine keeps, and not through an attached
 * standard input, which podman's compatible API mixes with the request.
 */
export async function runOneOff(
  engine: Engine,
  spec: Dockerode.ContainerCreateOptions,
  input?: string,
): Promise<OneOffResult> {
  let container: Dockerode.Container | undefined;
  const run = async (): Promise<OneOffResult> => {
    container = await engine.docker.createContainer(spec);
    if (input !== undefined)
      await container.putArchive(secretArchive(INPUT_FILE.slice('/tmp/'.length), input), { path: '/tmp' });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await readLogs(container);
    return { code: StatusCode, stdout: logs.stdout.toString(), stderr: logs.stderr.toString() };
  };
  try {
    return await withTimeout(run(), ONE_OFF_MS, 'a one-off container on the broker image');
  } catch (error) {
    if (error instanceof PipeError) throw error;
    throw new PipeError(`a one-off container on the broker image failed: ${engineMessage(error)}`);
  } finally {
    const made = container as Dockerode.Container | undefined;
    if (made !== undefined)
      await withTimeout(made.remove({ force: true }), ENGINE_ANSWER_MS, 'removing a one-off container').catch(
        () => undefined,
      );
  }
}

/** A finished container's logs, as a stream: only their last 64 KiB a stream are kept. */
function readLogs(container: Dockerode.Container): Promise<LogFrames> {
  return new Promise((done, fail) => {
    const options = { stdout: true, stderr: true, follow: false };
    const request = { path: `/containers/${container.id}/logs?`, method: 'GET', isStream: true, options };
    container.modem.dial(
      { ...request, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' } },
      (error: Error | null, stream: NodeJS.ReadableStream) => {
        if (error) return fail(error);
        const frames = new LogFrames();
        stream.on('data', (chunk: Buffer) => frames.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
        stream.on('end', () => done(frames));
        stream.on('error', fail);
      },
    );
  });
}
