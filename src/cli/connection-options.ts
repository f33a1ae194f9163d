import type { Options } from 'yargs';

/** The global flags for how to reach the broker: whom to trust over TLS, and which proxy to go through. */
export const CONNECTION_OPTIONS: Record<'pin' | 'ca' | 'proxy', Options> = {
  pin: {
    type: 'string',
    describe:
      "TLS: trust the broker whose certificate (or CA) has this SHA-256 fingerprint, as 'skypipe broker cert' prints it (or SKYPIPE_PIN)",
    global: true,
  },
  ca: {
    type: 'string',
    describe: 'TLS: trust the CA certificates in this PEM file too (or SKYPIPE_CA)',
    global: true,
  },
  proxy: {
    type: 'string',
    describe:
      "reach the broker through this proxy: http://, https://, socks5h:// or socks5://; '' for none (default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)",
    global: true,
  },
};
