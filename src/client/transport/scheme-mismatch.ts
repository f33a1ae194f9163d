import type { BrokerTarget } from './broker-target.js';
import { hostnameOf, portOf } from './url-parts.js';
import { HUNG_UP_IN_HANDSHAKE } from './connect-failure.js';
import { probePort, type PortSpeaks } from './port-probe.js';

/** What each scheme expects the port to speak. */
const EXPECTED: Record<string, PortSpeaks> = { 'mqtt:': 'mqtt', 'mqtts:': 'mqtts', 'ws:': 'http', 'wss:': 'https' };

const USE: Record<PortSpeaks, string> = {
  mqtt: 'plain MQTT: use mqtt://',
  mqtts: 'MQTT over TLS: use mqtts://',
  http: 'HTTP (a WebSocket listener, or a web server): use ws://',
  https: 'HTTP over TLS (a secure WebSocket listener, or a web server): use wss://',
};

/** The code of the error that names what the port speaks instead. */
export const SCHEME_MISMATCH = 'SKYPIPE_SCHEME_MISMATCH';

/** Failures that a URL whose scheme does not match the port's protocol can cause. */
function mayBeMismatch(error: Error & { code?: string | number }): boolean {
  if (typeof error.code === 'number') return false;
  if (
    ['ECONNRESET', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG'].includes(
      error.code ?? '',
    )
  )
    return true;
  if (error.code !== undefined) return error.code === 'ETIMEDOUT';
  // MQTT.js's parser reading something that is not MQTT, the WebSocket handshake, and no answer at all.
  return (
    error.message === HUNG_UP_IN_HANDSHAKE ||
    /^Invalid |^Unexpected server response|^Malformed|^no answer within|^connack timeout/.test(error.message)
  );
}

/**
 * When a connection failed as a wrong scheme makes it fail, asks the port what it speaks (see
 * probePort: no credentials are sent) and, if that is not what the URL's scheme expects, fails
 * with a reason naming it; otherwise the error as it was. Not through a proxy: the probe would
 * go around it.
 */
export async function withSchemeAdvice<E extends Error & { code?: string | number }>(
  target: BrokerTarget,
  error: E,
  probeMs: number,
): Promise<E | Error> {
  if (probeMs <= 0 || target.proxy !== undefined || !mayBeMismatch(error)) return error;
  const url = new URL(target.url);
  // After a timeout the port has had its chance: a port that speaks anything answers a probe at once.
  const timedOut = error.code === 'ETIMEDOUT' || /^no answer within|^connack timeout/.test(error.message);
  const speaks = await probePort(hostnameOf(url), portOf(url), timedOut ? probeMs / 3 : probeMs);
  if (speaks === null) return error;
  if (speaks !== EXPECTED[url.protocol])
    return Object.assign(new Error(`that port speaks ${USE[speaks]}`), { code: SCHEME_MISMATCH });
  if (speaks === 'http' || speaks === 'https')
    return Object.assign(
      new Error(
        `that port speaks HTTP${speaks === 'https' ? ' over TLS' : ''} but did not take MQTT over WebSocket at ${url.pathname}: check the port and the path`,
      ),
      { code: SCHEME_MISMATCH },
    );
  return error;
}
