import type { IClientOptions } from 'mqtt';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { isIP } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { PipeError } from '../../protocol/errors.js';
import { hostnameOf, portOf } from './url-parts.js';
import type { Deadline } from './deadline.js';

/**
 * How a client trusts a TLS broker beyond the system's CAs: a pinned SHA-256 fingerprint (of the
 * broker's CA or its own certificate), or a CA file. A pin is the identity: the host name is not
 * checked against the certificate then.
 */
export interface TlsTrust {
  /** Normalised fingerprint: 32 upper-case hex bytes joined by colons. */
  pin?: string;
  /** CA certificates in PEM. */
  ca?: string;
  /** The pinned certificate and those above it, once a first handshake found them. */
  pinnedChain?: string[];
}

/** Whether a broker URL (as parseBrokerUrl leaves it) is reached over TLS: mqtts:// or wss://. */
export function usesTls(url: string): boolean {
  return url.startsWith('mqtts:') || url.startsWith('wss:');
}

/** Reads a fingerprint as `skypipe broker cert` prints it, or as openssl does (with or without colons, any case). */
export function parsePin(raw: string, origin: string): string {
  const hex = raw.replace(/^sha256[:=]/i, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new PipeError(
      `${origin}: '${raw}' is not a SHA-256 fingerprint; give the sha256:… line that 'skypipe broker cert' printed`,
      'usage',
    );
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

/** A certificate the broker presented that matches no pin. */
export class PinMismatch extends Error {
  readonly code = 'SKYPIPE_PIN_MISMATCH';
  constructor(presented: string) {
    super(
      `the broker's certificate does not match the pinned fingerprint (its CA is sha256:${presented}); someone may be intercepting the connection, or the broker has a new certificate`,
    );
  }
}

/** The certificates a TLS peer presented, leaf first. */
function chainOf(leaf: PeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  // A self-signed certificate is its own issuer.
  for (
    let cert: DetailedPeerCertificate | undefined = leaf as DetailedPeerCertificate;
    cert !== undefined && !chain.includes(cert);
    cert = cert.issuerCertificate
  ) {
    chain.push(cert);
  }
  return chain;
}

/** The fingerprint to show for a chain: its top, the CA that 'skypipe broker cert' has clients pin. */
const topOf = (chain: PeerCertificate[]): string => chain.at(-1)?.fingerprint256 ?? 'nothing';

const pemOf = (cert: PeerCertificate): string => new X509Certificate(cert.raw).toString();

/** The name to send in TLS's SNI for `host`: none for an IP address, which SNI cannot carry. */
export const sniFor = (host: string): { servername?: string } => (isIP(host) ? {} : { servername: host });

/** One handshake without checks, to see the chain the broker presents; the pinned part of it is then trusted as a CA. */
function presentedChain(
  host: string,
  port: number,
  pin: string,
  deadline: Deadline,
  tunnel: Socket | undefined,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port,
      rejectUnauthorized: false,
      ...sniFor(host),
      ...(tunnel === undefined ? {} : { socket: tunnel }),
    });
    const timer = setTimeout(() => socket.destroy(deadline.expired('no TLS handshake')), deadline.leftMs());
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = chainOf(socket.getPeerCertificate(true));
      socket.destroy();
      const at = chain.findIndex((cert) => cert.fingerprint256 === pin);
      if (at < 0) reject(new PinMismatch(topOf(chain)));
      else resolve(chain.slice(at).map(pemOf));
    });
  });
}

/**
 * MQTT.js options for a TLS connection (mqtts:// or wss://) under `trust`; none for plain URLs.
 * `openTunnel` gives the way to the broker through a proxy, when there is one.
 */
export async function tlsOptions(
  url: string,
  trust: TlsTrust | undefined,
  deadline: Deadline,
  openTunnel?: () => Promise<Socket>,
): Promise<Partial<IClientOptions>> {
  if (trust === undefined || !usesTls(url)) return {};
  if (trust.pin === undefined) return trust.ca === undefined ? {} : { ca: trust.ca, wsOptions: { ca: trust.ca } };
  const pin = trust.pin;
  const parsed = new URL(url);
  const host = hostnameOf(parsed);
  trust.pinnedChain ??= await presentedChain(host, portOf(parsed), pin, deadline, await openTunnel?.());
  // Checked on every connection, not only the first: the pin, whatever name the certificate carries.
  const checkServerIdentity = (_host: string, cert: PeerCertificate) =>
    chainOf(cert).some((presented) => presented.fingerprint256 === pin)
      ? undefined
      : new PinMismatch(topOf(chainOf(cert)));
  const options = { ca: trust.pinnedChain, rejectUnauthorized: true, checkServerIdentity };
  // ws hands these to Node's TLS as they are (its typing of checkServerIdentity is not Node's).
  return { ...options, wsOptions: options as unknown as IClientOptions['wsOptions'] };
}
