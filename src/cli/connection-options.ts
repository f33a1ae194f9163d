import type { Options } from 'yargs';

/**
 * How to reach the broker: where it is, who we are, whom to trust over TLS, which proxy to go
 * through, and where the pipes are on it. Taken by every command that talks to a broker.
 */
export const CONNECTION_OPTIONS = {
  url: {
    type: 'string',
    describe: 'broker URL: mqtt://, mqtts://, ws:// or wss:// (default: SKYPIPE_URL, else the local broker)',
  },
  username: { type: 'string', describe: 'broker user name (or SKYPIPE_USERNAME, or in the URL)' },
  password: { type: 'string', describe: 'broker password (or SKYPIPE_PASSWORD, or in the URL)' },
  profile: {
    type: 'string',
    describe: "use the broker of this profile, saved by 'skypipe login' (or SKYPIPE_PROFILE; default: the default one)",
  },
  pin: {
    type: 'string',
    describe:
      "TLS: trust the broker whose certificate (or CA) has this SHA-256 fingerprint, as 'skypipe broker cert' prints it (or SKYPIPE_PIN)",
  },
  ca: { type: 'string', describe: 'TLS: trust the CA certificates in this PEM file too (or SKYPIPE_CA)' },
  proxy: {
    type: 'string',
    describe:
      "reach the broker through this proxy: http://, https://, socks5h:// or socks5://; '' for none (default: HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY)",
  },
  'topic-prefix': {
    type: 'string',
    describe: 'put all topics under this prefix (or SKYPIPE_TOPIC_PREFIX), for a shared broker',
  },
} satisfies Record<string, Options>;

export type ConnectionOption = keyof typeof CONNECTION_OPTIONS;

/** The named options, accepted but left out of the help and the completions. */
export function hiddenOptions<K extends ConnectionOption>(names: readonly K[]): Record<K, Options> {
  return Object.fromEntries(names.map((name) => [name, { ...CONNECTION_OPTIONS[name], hidden: true }])) as Record<
    K,
    Options
  >;
}
