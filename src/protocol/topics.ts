import { createHash } from 'node:crypto';
import { advertisementTopic } from './advertisement.js';
import { PipeError } from './errors.js';

/** Every topic skypipe uses starts here; the version lets a future wire format live beside this one. */
export const DEFAULT_TOPIC_ROOT = 'skypipe/v1';

/**
 * The topic root: under the user's namespace when the client has a user name, then under an
 * optional prefix (one or more topic levels) for brokers shared with other applications. Null if
 * the prefix is not usable.
 */
export function topicRoot(prefix: string | undefined, username?: string): string | null {
  const namespace = username === undefined || username === '' ? '' : `${userNamespace(username)}/`;
  if (prefix === undefined || prefix === '') return `${namespace}${DEFAULT_TOPIC_ROOT}`;
  const levels = prefix.split('/');
  if (levels.some((level) => level === '' || /[+#\u0000]/.test(level)) || prefix.startsWith('$')) return null;
  return `${namespace}${prefix}/${DEFAULT_TOPIC_ROOT}`;
}

/**
 * Where a user's pipes live: `u/NAME`, the name encoded as a pipe name is (letters, digits, '-'
 * and '_' as they are). A broker can confine each user to it (skypipe's does; Mosquitto's
 * `pattern readwrite u/%u/#` does), and pipes of different users never meet.
 */
export function userNamespace(username: string): string {
  return `u/${encodePipeName(username)}`;
}

/**
 * Bytes kept as they are in a topic level. Everything else (including '/', '+', '#', '.', '%',
 * spaces and non-ASCII) is percent-encoded, so any name maps to one valid level and two names
 * never collide. '.' is encoded because some brokers (NATS) give it a meaning in topics.
 */
function isKeptByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2d || // -
    byte === 0x5f // _
  );
}

/**
 * Encodes a pipe name as one topic level. The empty name (the default pipe) becomes a lone '%',
 * which no other name produces because every other '%' is followed by two hex digits.
 */
export function encodePipeName(name: string): string {
  if (name === '') return '%';
  let level = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    level += isKeptByte(byte) ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return level;
}

/**
 * The longest pipe name, in UTF-8 bytes. Encoded (up to three bytes each) under a topic root and
 * with its records' suffixes, it stays far below MQTT's 65,535-byte topics and the shorter limits
 * some brokers set.
 */
export const MAX_PIPE_NAME_BYTES = 1024;

/** Refuses a pipe name too long to fit in a topic, with the limit. */
export function checkPipeName(name: string): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_PIPE_NAME_BYTES)
    throw new PipeError(
      `a pipe name is at most ${MAX_PIPE_NAME_BYTES} bytes (UTF-8); this one is ${bytes}: use a shorter name`,
      'usage',
    );
  return name;
}

/** The pipe name a topic level encodes (see encodePipeName); null for a level it never makes. */
export function decodePipeName(level: string): string | null {
  if (level === '%') return '';
  const bytes: number[] = [];
  for (let at = 0; at < level.length;) {
    const code = level.charCodeAt(at);
    if (code !== 0x25) {
      bytes.push(code);
      at += 1;
      continue;
    }
    const hex = level.slice(at + 1, at + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return null;
    bytes.push(parseInt(hex, 16));
    at += 3;
  }
  const name = Buffer.from(bytes).toString('utf8');
  return encodePipeName(name) === level ? name : null;
}

/** The topics and the mailbox client id of one pipe. */
export interface PipeTopics {
  readonly name: string;
  /** Frames of every stream sent into the pipe. */
  readonly data: string;
  /** Retained: who consumes the pipe now; empty when nobody does. */
  readonly presence: string;
  /** The client id of the pipe's durable mailbox session. */
  readonly mailboxClientId: string;
  /** Retained once the mailbox session was created: tells a lost session from a new one. */
  readonly mailboxMarker: string;
  /** Where the consumer reports how much of one stream it has written. */
  progress(streamIdHex: string): string;
  /** Retained while a stream's sender is connected; its Will clears it. */
  sender(streamIdHex: string): string;
  /** A client's private echo topic, used to know that retained messages have all arrived. */
  echo(clientId: string): string;
  /** Where a skypipe broker answers with its limits (advertisement.ts). */
  readonly advertisement: string;
}

/**
 * MQTT 3.1.1 servers must accept client ids of 1 to 23 characters from [0-9a-zA-Z]; "skypipe" plus
 * 16 hex digits of a hash of root and name fits any broker.
 */
function mailboxClientId(root: string, name: string): string {
  const digest = createHash('sha256').update(root).update('\0').update(name, 'utf8').digest('hex');
  return 'skypipe' + digest.slice(0, 16);
}

/** The last level of each kind of topic under a pipe's level. */
export const DATA_LEVEL = 'd';

export function pipeTopics(name: string, root: string = DEFAULT_TOPIC_ROOT): PipeTopics {
  const base = `${root}/${encodePipeName(name)}`;
  return {
    name,
    data: `${base}/${DATA_LEVEL}`,
    presence: `${base}/p`,
    mailboxClientId: mailboxClientId(root, name),
    mailboxMarker: `${base}/m`,
    progress: (streamIdHex: string) => `${base}/a/${streamIdHex}`,
    sender: (streamIdHex: string) => `${base}/s/${streamIdHex}`,
    echo: (clientId: string) => `${base}/e/${clientId}`,
    advertisement: advertisementTopic(root),
  };
}

/**
 * The topic root of a pipe's data topic (`ROOT/NAME/d`), as topicRoot() made it; null for a topic
 * that is not a data topic. A broker learns from it where a sender's pipes live.
 */
export function rootOfDataTopic(topic: string): string | null {
  const levels = topic.split('/');
  if (levels.length < 3 || levels.at(-1) !== DATA_LEVEL) return null;
  return levels.slice(0, -2).join('/');
}

/** What a topic of a pipe is for, by its last levels (see pipeTopics). */
export type PipeTopicKind = 'data' | 'presence' | 'marker' | 'progress' | 'sender' | 'echo';

const KINDS_BY_LEVEL = new Map<string, PipeTopicKind>([
  ['d', 'data'],
  ['p', 'presence'],
  ['m', 'marker'],
]);
const KINDS_BY_PARENT_LEVEL = new Map<string, PipeTopicKind>([
  ['a', 'progress'],
  ['s', 'sender'],
]);

/**
 * The kind of a pipe's topic and the root it lives under, as pipeTopics() makes them; null for a
 * topic that is not one (its root must end with the default root).
 */
export function pipeTopicOf(topic: string): { root: string; kind: PipeTopicKind } | null {
  const levels = topic.split('/');
  const under = (kind: PipeTopicKind, kept: number) => {
    const root = levels.slice(0, kept).join('/');
    return root === DEFAULT_TOPIC_ROOT || root.endsWith(`/${DEFAULT_TOPIC_ROOT}`) ? { root, kind } : null;
  };
  const last = KINDS_BY_LEVEL.get(levels.at(-1)!);
  if (last !== undefined && levels.length >= 4) return under(last, -2);
  const parent = KINDS_BY_PARENT_LEVEL.get(levels.at(-2) ?? '');
  if (parent !== undefined && levels.length >= 5) return under(parent, -3);
  if (levels.at(-3) === 'e' && levels.length >= 6) return under('echo', -4);
  return null;
}

/**
 * The user whose namespace holds `topic` (see userNamespace), or null for a topic outside every
 * user's namespace.
 */
export function userOfTopic(topic: string): string | null {
  const [first, level] = topic.split('/', 2);
  if (first !== 'u' || level === undefined || level === '') return null;
  try {
    const user = decodeURIComponent(level);
    return encodePipeName(user) === level ? user : null;
  } catch {
    return null;
  }
}

/** How a pipe is named in messages to the user. */
export function displayName(name: string): string {
  return name === '' ? 'the default pipe' : `pipe '${name}'`;
}
