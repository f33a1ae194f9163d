import type { Argv } from 'yargs';
import { CONNECTION_OPTIONS, hiddenOptions } from '../connection-options.js';

// Loaded with the parser for every command: the flags and the help only, so that no other
// command pays for deploy's code, which loads when deploy runs (command.ts).

export const DEPLOY_DESCRIPTION =
  'put a broker on a container host (Docker or Podman: ssh://USER@HOST, tcp://, unix://, or the current docker context) and set this machine up to use it';

/** `skypipe deploy`'s own flags. */
export function deployOptions<T>(y: Argv<T>) {
  return (
    y
      .positional('target', {
        type: 'string',
        describe: 'the engine: ssh://USER@HOST, https://HOST:PORT, tcp://HOST:PORT or unix://PATH',
      })
      .option('username', CONNECTION_OPTIONS.username)
      // Refused with a sentence of its own (command.ts): a password in argv is in `ps`.
      .options(hiddenOptions(['password']))
      .option('context', { type: 'string', describe: 'the docker context to use instead of TARGET' })
      .option('host', { type: 'string', describe: "the host name clients reach (default: TARGET's host)" })
      .option('name', { type: 'string', describe: 'the container (and volume NAME-data)', default: 'skypipe' })
      .option('mqtts-port', { type: 'string', describe: 'host port for MQTT over TLS', default: '8883' })
      .option('wss-port', {
        type: 'string',
        describe: 'host port for MQTT over secure WebSocket',
        default: '443',
      })
      .option('password-stdin', {
        type: 'boolean',
        describe: "the user's password is the first line of standard input",
      })
      .option('reset-password', { type: 'boolean', describe: 'set a new password for the user the broker keeps' })
      .option('dry-run', { type: 'boolean', describe: 'print the equivalent docker commands; touch nothing' })
      .option('remove', { type: 'boolean', describe: 'stop and remove the broker (the volume stays)' })
      .option('purge', {
        type: 'boolean',
        describe: 'with --remove, remove the volume, its data and credentials too',
      })
      .option('build-arg', {
        type: 'string',
        array: true,
        describe: 'KEY=VALUE for the Dockerfile: NODE_IMAGE (the base image), NPM_CI_FLAGS (npm options)',
      })
      .option('ulimit', {
        type: 'string',
        array: true,
        describe: 'NAME=SOFT:HARD for the build and the containers, for engines that need them given',
      })
      .example('$0 deploy ssh://me@box.example.net', 'builds, starts, and saves the profile here')
      .example('$0 deploy ssh://me@box.example.net --dry-run', 'the docker commands it would run')
      .example('$0 deploy ssh://me@box.example.net --remove', 'stops and removes it; its data stays')
  );
}
