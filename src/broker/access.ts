import { createHash } from 'node:crypto';
import type { AuthenticateError, Client, PublishPacket } from 'aedes';
import { userNamespace } from '../protocol/topics.js';
import { PasswordChecks, type PasswordCheckLimits } from './password-checks.js';
import { isLocalKey } from './local-key.js';
import type { Quota } from './quota.js';
import { unmatchableHash, verifyPassword, type UserDirectory } from './users.js';

export interface AccessPolicy {
  users: UserDirectory;
  /** Let clients without credentials in (to the topics outside every user's namespace). */
  anonymous: boolean;
  /** Most connections (distinct client ids) one user may have open; null for no limit. */
  maxConnectionsPerUser: number | null;
  /** Most bytes the store may hold for one user; null for no limit. */
  maxBytesPerUser: number | null;
  /** How many password checks run and wait at once, and how failures slow their source down. */
  passwordChecks?: PasswordCheckLimits;
  /** Stands for any user's password on connections from loopback (see local-key.ts). */
  localKey?: string;
}

const UNKNOWN_USER_HASH = unmatchableHash();

/** What the access rules need from the rest of the broker. */
export interface AccessContext {
  /** Holds each user's quota of stored bytes (null without one). */
  quota: Pick<Quota, 'admitPublish' | 'admitWill'> | null;
  /** Tells a client why its publish is refused (on the advertisement topic under `root`), then calls back. */
  notify(client: Client, root: string, reason: string, packet: PublishPacket, done: () => void): void;
  refused(username: string | undefined, reason: string): void;
}

/** The user a connection authenticated as; null for an anonymous one. */
const identities = new WeakMap<Client, string | null>();

/** MQTT 3.1.1 CONNACK return codes; 3.1.1 has none for a quota, "server unavailable" comes closest. */
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

type Will = Pick<PublishPacket, 'topic' | 'payload' | 'qos' | 'retain'>;

/** The Will a connecting client asked for (aedes keeps it there until the connection is accepted). */
function willOf(client: Client): Will | null {
  return (client as unknown as { _will?: Will | null })._will ?? null;
}

/**
 * The user a stored Will's session is bound to: its client id is `NAME:ID` (see preConnect); null
 * for an anonymous one, and for an id bound to no user.
 */
function ownerOf(clientId: string): string | null {
  const colon = clientId.indexOf(':');
  return colon <= 0 ? null : clientId.slice(0, colon);
}

/**
 * Whether a Will stored by a broker that died may be published now, with no client attached: only
 * inside the namespace of the user its session is bound to.
 */
export function storedWillAllowed(will: { clientId?: string; topic: string }): boolean {
  return allowed(ownerOf(will.clientId ?? ''), will.topic);
}

/** Whether `topic` (or a filter) stays inside what `user` may touch. */
function allowed(user: string | null, topic: string): boolean {
  if (topic.startsWith('$')) return false;
  if (user === null) return !topic.startsWith('u/') && !topic.startsWith('#') && !topic.startsWith('+');
  return topic.startsWith(`${userNamespace(user)}/`);
}

/**
 * Aedes hooks for a broker with users. Each user reads and writes only under `u/NAME/`, anonymous
 * clients (when let in) only outside `u/`, nobody `$SYS`. Client ids are bound to their user: the
 * broker keeps sessions under `NAME:ID` (anonymous `:ID`), so no one can take over, or read the
 * buffered data of, another user's mailbox session by using its client id.
 */
export function accessHooks(policy: AccessPolicy, context: AccessContext) {
  const { refused } = context;
  // A verified password is remembered (as a digest) so that a fleet reconnecting does not pay scrypt each time.
  const verified = new Set<string>();
  const checks = new PasswordChecks(policy.passwordChecks);
  let generation = policy.users.generation;
  const remembered = (user: string, password: Buffer) =>
    createHash('sha256').update(user).update('\0').update(password).digest('hex');
  /** Each user's open connections by client id: a reconnect with the same id takes its own session over, and is no extra one. */
  const open = new Map<string, Map<string, Client>>();

  /** Lets `client` in as `username` unless its Will leaves the user's namespace or the user is at the connection limit. */
  const admit = (
    client: Client,
    username: string | null,
    callback: (error: AuthenticateError | null, ok: boolean | null) => void,
  ) => {
    const will = willOf(client);
    if (will !== null && !allowed(username, will.topic)) {
      refused(username ?? undefined, `a Will on ${will.topic}, outside its namespace`);
      return callback(refusal(NOT_AUTHORIZED, 'a Will outside the namespace'), null);
    }
    if (username === null) {
      identities.set(client, null);
      return callback(null, true);
    }
    const connections = open.get(username) ?? new Map<string, Client>();
    const limit = policy.maxConnectionsPerUser;
    if (limit !== null && !connections.has(client.id) && connections.size >= limit) {
      refused(username, `over ${limit} connections`);
      return callback(refusal(SERVER_UNAVAILABLE, 'over the connection limit'), null);
    }
    const over = will === null ? null : (context.quota?.admitWill(client, username, will) ?? null);
    if (over !== null) {
      refused(username, `a Will over its quota of bytes stored: ${over.reason}`);
      return callback(refusal(SERVER_UNAVAILABLE, 'a Will over the quota'), null);
    }
    connections.set(client.id, client);
    open.set(username, connections);
    client.conn.once('close', () => {
      if (connections.get(client.id) === client) connections.delete(client.id);
    });
    identities.set(client, username);
    callback(null, true);
  };

  return {
    preConnect(
      _client: Client,
      packet: { clientId: string; username?: string | undefined },
      callback: (error: Error | null, ok: boolean) => void,
    ): void {
      packet.clientId = `${packet.username ?? ''}:${packet.clientId}`;
      callback(null, true);
    },

    authenticate(
      client: Client,
      username: string | undefined,
      password: Buffer | undefined,
      callback: (error: AuthenticateError | null, ok: boolean | null) => void,
    ): void {
      if (username === undefined || username === '') {
        if (!policy.anonymous) {
          refused(undefined, 'no credentials');
          return callback(refusal(NOT_AUTHORIZED, 'credentials required'), null);
        }
        return admit(client, null, callback);
      }
      const users = policy.users.refresh();
      if (policy.users.generation !== generation) {
        verified.clear();
        generation = policy.users.generation;
      }
      const stored = users.get(username);
      const given = password ?? Buffer.alloc(0);
      const key = remembered(username, given);
      const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? '';
      if (stored !== undefined && (verified.has(key) || isLocalKey(policy.localKey, given, address)))
        return admit(client, username, callback);
      // An unknown user costs what a wrong password does: its name cannot be found by timing.
      const verify = () => verifyPassword(given.toString('utf8'), stored ?? UNKNOWN_USER_HASH);
      const gone = new AbortController();
      client.conn.once('close', () => gone.abort());
      checks.check(address, username, key, verify, gone.signal).then((outcome) => {
        if (outcome === true && stored !== undefined) {
          verified.add(key);
          return admit(client, username, callback);
        }
        if (outcome === 'busy' || outcome === 'slowed-down') {
          refused(username, outcome === 'busy' ? 'too many password checks at once' : 'failed too often, slowed down');
          return callback(refusal(SERVER_UNAVAILABLE, outcome), null);
        }
        refused(username, 'bad user name or password');
        callback(refusal(BAD_USERNAME_OR_PASSWORD, 'bad user name or password'), null);
      });
    },

    authorizePublish(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
      // The broker's own messages (client null) go anywhere; stored Wills were checked as they were read (storedWillAllowed).
      if (client === null) return callback(null);
      const user = identities.get(client) ?? null;
      if (!allowed(user, packet.topic)) return callback(new Error(`publishing to ${packet.topic} is not allowed`));
      // Decided at once: an answer deferred would let the client's next packets (a PUBACK, a DISCONNECT) overtake this one.
      const over = user === null ? null : (context.quota?.admitPublish(client, user, packet) ?? null);
      if (over === null) return callback(null);
      refused(user ?? undefined, 'over its quota of bytes stored');
      // The connection closes on a refused publish (MQTT 3.1.1 has no negative PUBACK): the reason goes first.
      context.notify(client, over.root, over.reason, packet, () => callback(new Error(over.reason)));
    },

    /** Whether the client's user may read `topic` (a filter): refused ones get 0x80 in the SUBACK, the connection stays. */
    mayRead(client: Client | null, topic: string): boolean {
      return allowed(client === null ? null : (identities.get(client) ?? null), topic);
    },
  };
}
