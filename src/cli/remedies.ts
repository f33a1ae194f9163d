import type { PipeError, Remedy } from '../client/index.js';

/** What the user can do about a failure, in the command line's flags and variables. */
const REMEDIES: Record<Remedy, string> = {
  'give-credentials': 'give --username and --password (or SKYPIPE_USERNAME and SKYPIPE_PASSWORD)',
  'give-password':
    "on a terminal skypipe asks for it; elsewhere set SKYPIPE_PASSWORD, or keep it once with 'skypipe login' (never type it after --password where ps shows it)",
  'check-credentials': 'check --username/--password or the URL',
  'trust-certificate':
    "pin it with --pin (the fingerprint 'skypipe broker cert' printed) or give its CA with --ca FILE",
  'name-or-pin': 'connect with a name it lists, or pin it with --pin',
  'smaller-frames':
    'raise its maximum packet size (Mosquitto: max_packet_size) or send smaller frames with --frame-size',
  'check-proxy': "check the proxy's address, or go straight to the broker with --proxy ''",
};

/** The one line the user reads for a failure: the library's reason, then the remedy in flags. */
export function describeFailure(error: PipeError): string {
  return error.remedy === undefined ? error.message : `${error.message}; ${REMEDIES[error.remedy]}`;
}
