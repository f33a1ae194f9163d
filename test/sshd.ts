// An SSH server on loopback for the tests that reach an engine over ssh://: its own host key, a
// client key made for the test, and a `docker` on the remote PATH that dials podman's socket the
// way `docker system dial-stdio` dials Docker's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, until } from './harness.js';

export const SSHD = '/usr/sbin/sshd';
export const sshdInstalled = (): boolean => existsSync(SSHD) && spawnSync('ssh-keygen', ['-?']).error === undefined;

export interface Sshd {
  port: number;
  /** A HOME whose .ssh holds the client key and, when `known`, the server's host key. */
  home: string;
  stop(): void;
}

const keygen = (file: string) => spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);

/** Starts sshd in `dir` for root, with key login only, and `docker` dialing `socket`. */
export async function startSshd(dir: string, socket: string, known: boolean): Promise<Sshd> {
  const [server, home, bin] = [join(dir, 'sshd'), join(dir, 'ssh-home'), join(dir, 'ssh-bin')];
  for (const path of [server, join(home, '.ssh'), bin, '/run/sshd']) mkdirSync(path, { recursive: true });
  keygen(join(server, 'host_key'));
  keygen(join(home, '.ssh', 'id_ed25519'));
  writeFileSync(join(server, 'authorized_keys'), readFileSync(join(home, '.ssh', 'id_ed25519.pub')));
  writeFileSync(join(bin, 'docker'), `#!/bin/sh\nexec podman --url unix://${socket} system dial-stdio\n`);
  chmodSync(join(bin, 'docker'), 0o755);
  const port = await freePort();
  writeFileSync(
    join(server, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(server, 'host_key')}`,
      `AuthorizedKeysFile ${join(server, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'StrictModes no',
      'UsePAM no',
      `PidFile ${join(server, 'sshd.pid')}`,
      `SetEnv PATH=${bin}:/usr/local/bin:/usr/bin:/bin`,
      '',
    ].join('\n'),
  );
  const hostKey = readFileSync(join(server, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(home, '.ssh', 'known_hosts'), known ? `[127.0.0.1]:${port} ${hostKey}\n` : '');
  const child: ChildProcess = spawn(SSHD, ['-D', '-f', join(server, 'sshd_config'), '-E', join(server, 'log')], {
    stdio: 'ignore',
  });
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
  await until(answers, 'sshd listens');
  return { port, home, stop: () => child.kill() };
}
