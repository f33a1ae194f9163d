import { PipeError, type Remedy } from '../../protocol/errors.js';
import { describeTarget, type BrokerTarget } from './broker-target.js';
import { describeProxy } from './proxy.js';
import { ProxyFailure } from './proxy-tunnel.js';
import { usesTls } from './tls-trust.js';

/** What a broker's refusal means, and what the user can do about it when the command line words it. */
interface Refusal {
  text: string;
  remedy?: Remedy;
}

const BAD_CREDENTIALS: Refusal = { text: 'the broker refused the username or password', remedy: 'check-credentials' };
const NOT_AUTHORIZED: Refusal = { text: 'the broker says this user is not authorized' };

/** Refusals that, to a client without credentials, mean that it needs some. */
const CREDENTIAL_REFUSALS = new Set([4, 5, 0x86, 0x87]);

/** CONNACK return codes of MQTT 3.1.1 (1-5) and reason codes of MQTT 5, with the one-line advice for each. */
const REFUSALS: Record<number, Refusal> = {
  1: { text: 'the broker speaks neither MQTT 5 nor MQTT 3.1.1' },
  2: { text: 'the broker refused the client id' },
  3: {
    text: 'the broker is unavailable to this client: it may be at a limit (such as connections per user) or stopping; try again later',
  },
  4: BAD_CREDENTIALS,
  5: NOT_AUTHORIZED,
  0x85: { text: 'the broker refused the client id' },
  0x86: BAD_CREDENTIALS,
  0x87: NOT_AUTHORIZED,
  0x88: { text: 'the broker is unavailable' },
  0x89: { text: 'the broker is busy; try again later' },
  0x8a: { text: 'the broker has banned this client' },
  0x8c: { text: 'the broker asks for an authentication method skypipe does not offer' },
  0x97: { text: 'the broker says this user is over its quota' },
  0x9f: { text: 'the broker refuses connections this fast; try again later' },
};

const UNTRUSTED: Refusal = {
  text: "the broker's TLS certificate is not signed by a CA this machine trusts",
  remedy: 'trust-certificate',
};

const NOT_TLS: Refusal = {
  text: "the broker does not speak TLS at this address; use mqtt:// or ws:// for a plain listener, or the broker's TLS port",
};

/** TLS failures (Node's codes), each with the one-line advice for it. */
const TLS_FAILURES: Record<string, Refusal> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: UNTRUSTED,
  SELF_SIGNED_CERT_IN_CHAIN: UNTRUSTED,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: UNTRUSTED,
  UNABLE_TO_GET_ISSUER_CERT: UNTRUSTED,
  CERT_HAS_EXPIRED: { text: "the broker's TLS certificate has expired; renew it on the broker" },
  CERT_NOT_YET_VALID: { text: "the broker's TLS certificate is not valid yet; check the clocks" },
  ERR_SSL_WRONG_VERSION_NUMBER: NOT_TLS,
  ERR_SSL_PACKET_LENGTH_TOO_LONG: NOT_TLS,
};

/**
 * Why a connection failed, in one line that names the broker and where its address came from.
 * What the user can do about it, in terms of the command line's flags, is the remedy's to say.
 */
export function connectFailure(
  target: BrokerTarget,
  error: Error & { code?: string | number; reason?: string },
): PipeError {
  const through = target.proxy === undefined ? '' : ` through proxy ${describeProxy(target.proxy)}`;
  const where = `${describeTarget(target)} (from ${target.origin})${through}`;
  const fail = (text: string, remedy?: Remedy) =>
    new PipeError(text, 'error', remedy === undefined ? { cause: error } : { cause: error, remedy });
  const refused = (refusal: Refusal) => fail(`cannot use broker ${where}: ${refusal.text}`, refusal.remedy);
  if (typeof error.code === 'number' && target.username === undefined && CREDENTIAL_REFUSALS.has(error.code)) {
    return fail(`cannot use broker ${where}: the broker requires a user name and password`, 'give-credentials');
  }
  if (typeof error.code === 'number' && target.password === undefined && CREDENTIAL_REFUSALS.has(error.code)) {
    return fail(
      `cannot use broker ${where}: the broker refused user '${target.username}' with no password given`,
      'give-password',
    );
  }
  if (typeof error.code === 'number' && REFUSALS[error.code] !== undefined) return refused(REFUSALS[error.code]!);
  if (typeof error.code === 'string' && TLS_FAILURES[error.code] !== undefined)
    return refused(TLS_FAILURES[error.code]!);
  // OpenSSL's answer to a peer that is not speaking TLS, when Node gives no code of its own.
  if (error.code === 'EPROTO' && /wrong version number|packet length too long|unknown protocol/.test(error.message))
    return refused(NOT_TLS);
  if (error instanceof ProxyFailure) {
    // A proxy that is not there may be a wrong address; one whose certificate fails is not.
    if (error.aboutProxy)
      return fail(
        `cannot reach proxy ${describeProxy(target.proxy!)}: ${error.message}`,
        error.lasting ? undefined : 'check-proxy',
      );
    return fail(`cannot reach broker ${where}: ${error.message}`);
  }
  switch (error.code) {
    case 'ECONNRESET':
      return usesTls(target.url)
        ? fail(
            `cannot use broker ${where}: the broker hung up during the TLS handshake; if that port is a plain listener, use mqtt:// or ws://`,
          )
        : fail(
            `cannot use broker ${where}: the broker hung up during the handshake; if that port speaks TLS, use mqtts:// or wss://`,
          );
    case 'SKYPIPE_PIN_MISMATCH':
    case 'SKYPIPE_SCHEME_MISMATCH':
      return fail(`cannot use broker ${where}: ${error.message}`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail(
        `cannot use broker ${where}: the broker's TLS certificate is not for this host name (${error.reason ?? error.message})`,
        'name-or-pin',
      );
    case 'ECONNREFUSED':
      return fail(`cannot reach broker ${where}: connection refused; is the broker running and the port right?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot reach broker ${where}: host not found; check the host name`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`cannot reach broker ${where}: no route or no answer; check the address and the network`);
    default:
      return fail(`cannot reach broker ${where}: ${error.message}`);
  }
}

/** Refusals that say the same credentials, id or address will be refused again: no use retrying them. */
const LASTING_REFUSALS = new Set([1, 2, 4, 5, 0x85, 0x86, 0x87, 0x8a, 0x8c]);

/**
 * Whether a failed connection will fail the same way next time: a refusal of the credentials or
 * the client id, or a TLS certificate this machine does not trust. A busy or stopping broker, or a
 * network that fails, may pass.
 */
export function failsForGood(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause instanceof ProxyFailure) return cause.lasting;
  const code = cause?.code;
  if (typeof code === 'number') return LASTING_REFUSALS.has(code);
  return typeof code === 'string' && (code in TLS_FAILURES || code === 'SKYPIPE_PIN_MISMATCH');
}

export const HUNG_UP_IN_HANDSHAKE =
  'the broker closed the connection during the handshake; if that port speaks TLS, use mqtts:// or wss://';
