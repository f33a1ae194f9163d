import type Dockerode from 'dockerode';
import { PipeError } from '../../protocol/errors.js';
import { engineMessage, type Engine } from './engine.js';
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
  try {
    container = await engine.docker.createContainer(spec);
    if (input !== undefined)
      await container.putArchive(secretArchive(INPUT_FILE.slice('/tmp/'.length), input), { path: '/tmp' });
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const [out, err] = splitLogs(logs);
    return { code: StatusCode, stdout: out, stderr: err };
  } catch (error) {
    throw new PipeError(`a one-off container on the broker image failed: ${engineMessage(error)}`);
  } finally {
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

/** A container's logs as the engine frames them (8-byte headers: stream, 0, 0, 0, length). */
function splitLogs(logs: Buffer): [string, string] {
  const parts: [Buffer[], Buffer[]] = [[], []];
  let at = 0;
  while (at + 8 <= logs.length) {
    const length = logs.readUInt32BE(at + 4);
    parts[logs[at] === 2 ? 1 : 0].push(logs.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return [Buffer.concat(parts[0]).toString(), Buffer.concat(parts[1]).toString()];
}
