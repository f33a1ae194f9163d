import { randomBytes } from 'node:crypto';
import { fingerprintOf } from '../../broker/certificates.js';
import { firstLineOfStdin } from '../ask-hidden.js';
import { PipeError } from '../../protocol/errors.js';
import type { Engine } from './engine.js';
import { INPUT_FILE, runOneOff } from './one-off.js';
import { CA_FILE, certCommand, oneOffSpec, userAddCommand, userListCommand, type DeploySettings } from './spec.js';

/** A generated password: 192 random bits, in characters every shell and URL leave alone. */
export const generatePassword = (): string => randomBytes(24).toString('base64url');

/** The first line of standard input (--password-stdin, as `docker login` takes it). */
export async function passwordFromStdin(): Promise<string> {
  const password = await firstLineOfStdin();
  if (password === '')
    throw new PipeError('--password-stdin: standard input has no password on its first line', 'usage');
  return password;
}

function mustSucceed(what: string, result: { code: number; stderr: string }): void {
  if (result.code !== 0) {
    const reason =
      result.stderr
        .trim()
        .split('\n')
        .pop()
        ?.replace(/^skypipe: /, '') ?? '';
    throw new PipeError(`${what} failed in a one-off container: ${reason || `exit code ${result.code}`}`);
  }
}

/** The certificate's fingerprint, and the users, the volume already holds (a deploy before this one). */
export async function readVolumeState(
  engine: Engine,
  settings: DeploySettings,
): Promise<{ fingerprint: string | null; users: string[] }> {
  const printCa = `try { process.stdout.write(require('fs').readFileSync(${JSON.stringify(CA_FILE)})) } catch {}`;
  const ca = await runOneOff(engine, oneOffSpec(settings, ['-e', printCa], { entrypoint: ['node'] }));
  mustSucceed('reading the certificate', ca);
  const users = await runOneOff(engine, oneOffSpec(settings, userListCommand()));
  mustSucceed('listing the users', users);
  return {
    fingerprint: ca.stdout.includes('BEGIN CERTIFICATE') ? fingerprintOf(ca.stdout) : null,
    users: users.stdout.split('\n').filter((line) => line !== ''),
  };
}

/** Makes the certificate in the volume; returns the fingerprint clients pin. */
export async function makeCertificate(engine: Engine, settings: DeploySettings): Promise<string> {
  const result = await runOneOff(engine, oneOffSpec(settings, certCommand(settings)));
  mustSucceed('making the certificate', result);
  const fingerprint = result.stdout.trim().split('\n').pop() ?? '';
  if (!fingerprint.startsWith('sha256:'))
    throw new PipeError('making the certificate printed no fingerprint; is the image a skypipe broker?');
  return fingerprint;
}

/** `skypipe broker user add NAME` in the image, its standard input the one-off's input file. */
const ADD_USER_FROM_INPUT = `const { openSync } = require('fs'); const r = require('child_process').spawnSync(process.execPath, ['/app/dist/skypipe.mjs', 'broker', ...process.argv.slice(1)], { stdio: [openSync(${JSON.stringify(INPUT_FILE)}), 'inherit', 'inherit'] }); process.exit(r.status ?? 1)`;

/** Adds the user to the volume's users file (or sets its password). */
export async function setUser(engine: Engine, settings: DeploySettings, password: string): Promise<void> {
  const spec = oneOffSpec(settings, ['-e', ADD_USER_FROM_INPUT, ...userAddCommand(settings)], { entrypoint: ['node'] });
  const result = await runOneOff(engine, spec, `${password}\n`);
  mustSucceed(`adding user '${settings.username}'`, result);
}
