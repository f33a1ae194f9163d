import { Transform, type TransformCallback } from 'node:stream';
import { SubscribeCounter } from './subscribe-counter.js';
import { PublishHead } from './topic-checks.js';

/** A client sent (the header of) an MQTT packet larger than the broker takes, or one it refuses to read. */
export class PacketRefused extends Error {}

const PUBLISH = 3;
const SUBSCRIBE = 8;

/**
 * Reads MQTT fixed headers as bytes go by and fails the stream at the first packet whose declared
 * size is over `maximum`: the connection closes before the packet's body is read, so an oversized
 * packet never sits in memory (aedes itself would buffer any size). It also counts the topics of
 * each SUBSCRIBE and fails one of more than `maxTopicsPerSubscribe` before aedes sees it: aedes
 * does work for each topic, and for a persistent session stores the list once per topic. Topics
 * that are not valid UTF-8, and QoS 1 or 2 PUBLISHes with packet identifier 0, close the
 * connection, as MQTT requires.
 */
export class PacketGuard extends Transform {
  private state: 'type' | 'length' | 'body' = 'type';
  private type = 0;
  private flags = 0;
  private subscribe: SubscribeCounter | null = null;
  private publish: PublishHead | null = null;
  private length = 0;
  private lengthBytes = 0;
  private remaining = 0;
  /** Bytes read before the broker accepted the connection; null once it has. */
  private readBeforeLogin: number | null = 0;

  /**
   * `counted` hears of every chunk read. Until loggedIn(), all that was read together may not pass
   * `maxBeforeLogin`: a CONNECT needs a few KiB, and a stranger's bytes should cost little.
   */
  constructor(
    private readonly maximum: number,
    private readonly counted: (bytes: number) => void = () => {},
    private readonly maxTopicsPerSubscribe = Infinity,
    private readonly maxBeforeLogin = Infinity,
  ) {
    super();
  }

  /** The broker accepted the connection: the packet size limit applies from now on. */
  loggedIn(): void {
    this.readBeforeLogin = null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counted(chunk.length);
    if (this.readBeforeLogin !== null) {
      this.readBeforeLogin += chunk.length;
      if (this.readBeforeLogin > this.maxBeforeLogin)
        return callback(new PacketRefused(`over ${this.maxBeforeLogin} bytes before the connection was accepted`));
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'type') {
        this.type = chunk[at]! >> 4;
        this.flags = chunk[at]! & 0x0f;
        at += 1;
        [this.state, this.length, this.lengthBytes] = ['length', 0, 0];
      } else if (this.state === 'length') {
        const byte = chunk[at++]!;
        this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
        this.lengthBytes += 1;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return callback(new PacketRefused('malformed remaining length'));
          continue;
        }
        const size = 1 + this.lengthBytes + this.length;
        const maximum = this.readBeforeLogin === null ? this.maximum : Math.min(this.maximum, this.maxBeforeLogin);
        if (size > maximum)
          return callback(new PacketRefused(`a ${size}-byte packet is over the maximum of ${maximum}`));
        this.remaining = this.length;
        this.state = this.remaining === 0 ? 'type' : 'body';
        this.subscribe = this.type === SUBSCRIBE ? new SubscribeCounter() : null;
        this.publish = this.type === PUBLISH ? new PublishHead((this.flags >> 1) & 3) : null;
      } else {
        const take = Math.min(this.remaining, chunk.length - at);
        const malformed = (this.subscribe ?? this.publish)?.feed(chunk, at, at + take) ?? null;
        if (malformed !== null) return callback(new PacketRefused(malformed));
        if (this.subscribe !== null && this.subscribe.count > this.maxTopicsPerSubscribe)
          return callback(new PacketRefused(`a SUBSCRIBE of more than ${this.maxTopicsPerSubscribe} topics`));
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'type';
      }
    }
    callback(null, chunk);
  }
}
