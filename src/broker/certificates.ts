// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

/** Two years and a bit: the longest validity clients on every platform still accept for a server certificate. */
const VALID_DAYS = 825;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface CertificateFiles {
  dir: string;
  ca: string;
  caKey: string;
  /** The server certificate followed by the CA's: the chain a broker presents. */
  server: string;
  serverKey: string;
  /** SHA-256 of the CA certificate, the one clients pin: it outlives a renewed server certificate. */
  fingerprint: string;
  notAfter: Date;
}

export function certificatePaths(dir: string): Omit<CertificateFiles, 'fingerprint' | 'notAfter'> {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    server: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
  };
}

/** The SHA-256 fingerprint of a PEM certificate, as `sha256:AB:CD:…`. */
export function fingerprintOf(pem: string): string {
  return `sha256:${new X509Certificate(pem).fingerprint256}`;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/**
 * Makes a self-signed CA and a server certificate it signs for `names` (host names and IP
 * addresses), and writes them to `dir`; keys are readable by their owner only. Refuses to
 * replace existing files unless `replace`.
 */
export async function generateCertificates(dir: string, names: string[], replace: boolean): Promise<CertificateFiles> {
  const paths = certificatePaths(dir);
  const existing = [paths.ca, paths.caKey, paths.server, paths.serverKey].find((path) => existsSync(path));
  if (existing !== undefined && !replace)
    throw new Error(`${existing} exists; remove it, or pass --force to replace the certificates there`);
  x509.cryptoProvider.set(webcrypto as Crypto);
  const notBefore = new Date(Date.now() - 60_000); // a client whose clock is a little behind still accepts it
  const notAfter = new Date(notBefore.getTime() + VALID_DAYS * 86_400_000);
  const serial = () =>
    Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1');

  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=skypipe broker CA ${notBefore.toISOString().slice(0, 10)}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const alternativeNames = names.map((name) =>
    isIP(name) ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name },
  );
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(alternativeNames),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPem = ca.toString('pem') + '\n';
  writeFileSync(paths.caKey, await privateKeyPem(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(paths.serverKey, await privateKeyPem(serverKeys.privateKey), { mode: 0o600 });
  writeFileSync(paths.ca, caPem, { mode: 0o644 });
  writeFileSync(paths.server, server.toString('pem') + '\n' + caPem, { mode: 0o644 });
  // A mode given to writeFileSync applies to a new file only: a replaced key keeps its old one.
  for (const key of [paths.caKey, paths.serverKey]) chmodSync(key, 0o600);
  return { ...paths, fingerprint: fingerprintOf(caPem), notAfter };
}
