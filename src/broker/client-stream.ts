import { Duplex, pipeline, Writable } from 'node:stream';
import { PacketGuard, PacketRefused } from './packet-guard.js';
import { MAX_TOPICS_PER_SUBSCRIBE } from './subscription-limits.js';

export interface ByteMeter {
  received(bytes: number): void;
  sent(bytes: number): void;
}

/**
 * What a connection may read before the broker accepts it: a CONNECT (client id, credentials, a
 * Will whose topic may be as long as a topic can be), and not much more.
 */
export const MAX_BYTES_BEFORE_LOGIN = 68 * 1024;
/** How long a connection may take from its first byte to being accepted (scrypt included). */
export const LOGIN_TIMEOUT_MS = 10_000;
/**
 * The most the broker holds for one client that does not read what it is sent: twice a pipe's
 * default capacity, which is the most a skypipe receiver is ever sent unacknowledged.
 */
export const MAX_BYTES_WAITING_TO_GO_OUT = 64 * 1024 * 1024;

export interface ClientStreamOptions {
  /** The source address, which the stream carries as `remoteAddress` (as a socket does). */
  address: string;
  maximumPacketSize: number;
  meter: ByteMeter;
  /** Hears why a connection was closed: a packet refused, a login too slow, a client that does not read. */
  refused(reason: string): void;
  /** The broker accepted the connection (a CONNACK with return code 0 went out). */
  loggedIn(): void;
  loginTimeoutMs?: number;
}

/** CONNACK's first byte; its return (3.1.1) or reason (5) code is the fourth byte. */
const CONNACK = 0x20;

/**
 * A client's byte stream as the broker sees it: reads pass the packet guard (sizes, SUBSCRIBE
 * topics, what may come before login), the bytes each way are counted, and a connection that the
 * broker has not accepted within the login timeout is closed.
 */
export function clientStream(stream: Duplex, options: ClientStreamOptions): Duplex {
  const { meter, refused } = options;
  const guard = new PacketGuard(
    options.maximumPacketSize,
    meter.received,
    MAX_TOPICS_PER_SUBSCRIBE,
    MAX_BYTES_BEFORE_LOGIN,
  );
  pipeline(stream, guard, (error) => {
    if (error instanceof PacketRefused) refused(error.message);
  });
  const timeoutMs = options.loginTimeoutMs ?? LOGIN_TIMEOUT_MS;
  const loginTimer = setTimeout(() => {
    refused(`not accepted within ${timeoutMs / 1000} s`);
    stream.destroy();
  }, timeoutMs);
  stream.once('close', () => clearTimeout(loginTimer));
  /** The first bytes written, until they show whether the broker accepted the connection. */
  let head: Buffer | null = Buffer.alloc(0);
  const watchForAcceptance = (chunk: Buffer) => {
    head = Buffer.concat([head!, chunk.subarray(0, 4)]);
    if (head.length === 0 || (head[0] === CONNACK && head.length < 4)) return;
    if (head[0] === CONNACK && head[3] === 0) {
      clearTimeout(loginTimer);
      guard.loggedIn();
      options.loggedIn();
    }
    head = null;
  };
  /** Bytes the broker wrote that the socket has not taken yet. */
  let waitingToGoOut = 0;
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      waitingToGoOut -= chunk.length;
      meter.sent(chunk.length);
      if (head !== null) watchForAcceptance(chunk);
      // mqtt-packet writes a packet in pieces (header, topic, id, payload) and corks its stream
      // for the turn, but a cork does not pass through this stream: the socket is corked here, so
      // what one turn writes leaves in one system call instead of one per piece.
      if (stream.writableCorked === 0) {
        stream.cork();
        process.nextTick(() => stream.uncork());
      }
      if (stream.write(chunk)) callback();
      else stream.once('drain', () => callback());
    },
    final(callback) {
      stream.end(callback);
    },
    destroy(error, callback) {
      stream.destroy(error ?? undefined);
      callback(error);
    },
  });
  const duplex = Object.assign(Duplex.from({ readable: guard, writable: out }), { remoteAddress: options.address });
  // aedes writes without waiting for the socket: past the bound, the client is let go (what it was
  // sent at QoS 1 and did not acknowledge stays stored for its session).
  const write = duplex.write.bind(duplex) as (chunk: Buffer, ...rest: unknown[]) => boolean;
  duplex.write = ((chunk: Buffer, ...rest: unknown[]) => {
    waitingToGoOut += chunk.length;
    if (waitingToGoOut + stream.writableLength > MAX_BYTES_WAITING_TO_GO_OUT && !stream.destroyed) {
      refused(`it has not read ${MAX_BYTES_WAITING_TO_GO_OUT} bytes it was sent`);
      stream.destroy();
    }
    return write(chunk, ...rest);
  }) as typeof duplex.write;
  return duplex;
}
