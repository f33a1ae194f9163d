import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import type { BrokerTarget } from '../transport/broker-target.js';
import {
  connect,
  disconnect,
  publish,
  randomClientId,
  subscribe,
  type ConnectOptions,
} from '../transport/connection.js';
import { reconnect, retryWhileClosed } from '../transport/reconnect.js';
import { interrupted, PipeError } from '../../protocol/errors.js';
import { encodeFrame, STREAM_ID_BYTES, type FrameType, type QueuedAhead } from '../../protocol/frame.js';
import { FrameCutter } from './frame-cutter.js';
import { parseAdvertisement, tighter, type BrokerLimits } from '../../protocol/advertisement.js';
import { timingsWith, type Timings } from '../timings.js';
import { fitToBroker, type SendSettings } from './settings.js';
import { ensureMailbox } from './mailbox-check.js';
import { PresenceWatch } from '../presence-watch.js';
import { parseProgress } from '../../protocol/progress.js';
import { roundTrip } from '../transport/retained.js';
import { CONNECTED_RECORD, encodeSentRecord } from '../../protocol/sender-record.js';
import { displayName, type PipeTopics } from '../../protocol/topics.js';

export interface SendEvents {
  warn(message: string): void;
  /** What the sender is doing, for a person at a terminal. */
  status?(message: string): void;
  /** Bytes the broker has accepted so far. */
  progress?(acceptedBytes: number): void;
  /** The pipe is full: nobody is reading, or not fast enough. */
  blocked?(isBlocked: boolean, unreadBytes: number): void;
}

export interface SendRequest {
  target: BrokerTarget;
  topics: PipeTopics;
  input: Readable;
  settings: SendSettings;
  events: SendEvents;
  signal?: AbortSignal;
  /** Overrides of the default timings. */
  timings?: Partial<Timings>;
}

/** Sends one stream (the input up to its EOF) into a pipe; resolves with its length once the broker holds all of it. */
export async function send(request: SendRequest): Promise<number> {
  const streamId = randomBytes(STREAM_ID_BYTES);
  const timings = timingsWith(request.timings);
  const { client, limits } = await connect(
    request.target,
    senderConnection(request.topics, streamId, randomClientId('sender')),
    timings,
  );
  const stream = new StreamPublisher(client, request, streamId, limits, timings);
  try {
    await stream.prepare();
    await stream.sendInput();
    return stream.length;
  } catch (error) {
    await stream.abort(error instanceof PipeError ? error.message : String(error));
    throw error;
  } finally {
    await stream.close();
  }
}

/**
 * A broker that takes smaller packets than it says (MQTT 3.1.1 has no way to say) closes the
 * connection on each frame; reconnecting would send it again forever.
 */
const FRUITLESS_CLOSES = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A clean session whose Will clears the stream's sender record: receivers learn that the sender went away. */
function senderConnection(topics: PipeTopics, streamId: Buffer, clientId: string): ConnectOptions {
  return {
    clientId,
    clean: true,
    will: { topic: topics.sender(streamId.toString('hex')), payload: Buffer.alloc(0), retain: true, qos: 1 },
  };
}

/** One stream's frames: numbering, hashing, and the windows that keep the pipe within capacity. */
class StreamPublisher {
  private readonly progressTopic: string;
  private readonly senderTopic: string;
  private readonly hash = createHash('sha256');
  /** Frames published but not yet acknowledged by the broker, by sequence number: sent again after a reconnect. */
  private readonly inFlight = new Map<number, { frame: Buffer; length: number }>();
  private reconnecting: Promise<void> | null = null;
  /** Connections in a row that closed with a frame in flight and nothing acknowledged: a broker refusing the frames' size. */
  private fruitlessCloses = 0;
  private closing = false;
  /** The broker holds the whole stream. */
  private complete = false;
  private seq = 0;
  private offset = 0;
  private accepted = 0;
  private consumed = 0;
  /**
   * Data frames not yet known to be written by a consumer, by sequence number. After a reconnect
   * they go again: a broker that crashed may have acknowledged them without storing them (aedes
   * does), and a consumer skips the copies it has.
   */
  private readonly unread = new Map<number, { frame: Buffer; end: number }>();
  private lost: PipeError | null = null;
  private wake: () => void = () => {};
  /** The request's settings fitted to the broker's limits, once prepare() has learnt them; no frame goes before. */
  private settings: SendSettings | null = null;
  /** A skypipe broker's advertised limits, when it sent them. */
  private advertised: BrokerLimits = {};
  /** Streams the mailbox check found queued ahead of this one; the first frame names them. */
  private queuedAhead: QueuedAhead[] = [];

  constructor(
    private client: MqttClient,
    private readonly request: SendRequest,
    private readonly streamId: Buffer,
    /** From the CONNACK (MQTT 5). */
    private readonly limits: BrokerLimits,
    private readonly timings: Timings,
  ) {
    this.progressTopic = request.topics.progress(streamId.toString('hex'));
    this.senderTopic = request.topics.sender(streamId.toString('hex'));
    request.signal?.addEventListener('abort', () => this.wake(), { once: true });
    this.attach(client);
  }

  private attach(client: MqttClient): void {
    this.client = client;
    const acceptedBefore = this.accepted;
    client.on('close', () => {
      if (this.client !== client || this.closing || this.lost) return;
      this.fruitlessCloses = this.inFlight.size > 0 && this.accepted === acceptedBefore ? this.fruitlessCloses + 1 : 0;
      if (this.fruitlessCloses >= FRUITLESS_CLOSES) {
        this.lost ??= new PipeError(
          `the broker closed the connection ${FRUITLESS_CLOSES} times in a row while a ${this.largestInFlight()}-byte frame was on its way, acknowledging nothing: ` +
            'it probably takes smaller packets',
          'error',
          { remedy: 'smaller-frames' },
        );
        this.wake();
        return;
      }
      this.reconnecting ??= this.reconnect();
    });
    client.on('message', (topic, payload) => {
      if (topic === this.request.topics.advertisement) {
        const advertised = parseAdvertisement(payload);
        if (advertised === undefined) this.request.events.warn(`ignoring a foreign message on ${topic}`);
        else if (advertised.refused !== undefined) {
          // The broker closes the connection next; frames it did not acknowledge are not in the pipe.
          this.lost ??= new PipeError(`the broker refused more of this stream: ${advertised.refused}`);
          this.wake();
        } else this.advertised = advertised;
        return;
      }
      if (topic !== this.progressTopic) return;
      const consumed = parseProgress(payload);
      if (consumed === undefined)
        return this.request.events.warn(`ignoring a foreign message on ${this.progressTopic}`);
      if (consumed !== null && consumed > this.consumed) {
        this.consumed = consumed;
        for (const [seq, { end }] of this.unread) {
          if (end > consumed) break;
          this.unread.delete(seq);
        }
        this.wake();
      }
    });
  }

  /** Gets a connection back and sends again every frame that no receiver is known to have written. */
  private async reconnect(): Promise<void> {
    const { target, topics, events } = this.request;
    events.status?.('the connection to the broker was interrupted; reconnecting');
    try {
      const stopped = () => this.request.signal?.aborted === true;
      await retryWhileClosed(async () => {
        const options = senderConnection(topics, this.streamId, this.client.options.clientId!);
        const { client } = await reconnect(
          target,
          options,
          `sending into ${displayName(topics.name)}`,
          stopped,
          this.timings,
        );
        this.attach(client);
        await this.announce();
      }, stopped);
      const again = new Set([...this.unread.keys(), ...this.inFlight.keys()]);
      for (const seq of [...again].sort((a, b) => a - b)) {
        if (this.inFlight.has(seq)) this.transmit(seq);
        else publish(this.client, topics.data, this.unread.get(seq)!.frame, { qos: 1 }).catch(() => {});
      }
      events.status?.('connected again');
    } catch (error) {
      this.lost ??= error instanceof PipeError ? error : new PipeError(String(error), 'error', { cause: error });
    } finally {
      this.reconnecting = null;
      // Closed again just as it came back: once more.
      if (!this.lost && !this.closing && !this.client.connected) this.reconnecting = this.reconnect();
      this.wake();
    }
  }

  /**
   * Leaves the record of a complete stream, which a consumer clears once it has written it, or
   * clears the record of one that will not complete; then disconnects, so the Will does not fire.
   */
  async close(): Promise<void> {
    if (this.complete) {
      // Through a cut too: without it a consumer could not tell whether the broker dropped the stream.
      await this.throughCuts(() =>
        publish(this.client, this.senderTopic, encodeSentRecord(this.offset, hostname(), new Date()), {
          qos: 1,
          retain: true,
        }),
      ).catch(() => {});
    }
    this.closing = true;
    if (!this.complete && this.client.connected)
      await publish(this.client, this.senderTopic, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => {});
    await disconnect(this.client);
  }

  get length(): number {
    return this.offset;
  }

  /** Runs a request to the broker, and again once reconnect() has brought back a connection that closed under it. */
  private throughCuts<T>(step: () => Promise<T>): Promise<T> {
    return retryWhileClosed(
      async () => {
        await this.reconnecting;
        if (this.lost) throw this.lost;
        return step();
      },
      () => this.request.signal?.aborted === true,
    );
  }

  /**
   * Follows the consumer's progress and sets the sender record, which tells receivers this sender
   * is connected. A skypipe broker answers the advertisement subscription before the record's
   * PUBACK, so its limits are known when this is done.
   */
  private async announce(): Promise<void> {
    await subscribe(this.client, [this.progressTopic, this.request.topics.advertisement], 0);
    await publish(this.client, this.senderTopic, CONNECTED_RECORD, { qos: 1, retain: true });
  }

  /** Announces the stream, fits the settings to the broker's limits, and makes sure the pipe buffers if nobody receives. */
  prepare(): Promise<void> {
    return this.throughCuts(async () => {
      const { target, topics, events } = this.request;
      await this.announce();
      this.settings = fitToBroker(this.request.settings, tighter(this.limits, this.advertised), topics.data);
      const presence = await PresenceWatch.start(this.client, topics, events.warn);
      if (presence.current === null)
        this.queuedAhead = await ensureMailbox(target, topics, this.client, events.warn, this.timings);
    });
  }

  async sendInput(): Promise<void> {
    const { signal } = this.request;
    const cutter = new FrameCutter(this.fitted);
    const chunks = this.request.input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const aborted = new Promise<'aborted'>((resolve) => {
      if (signal?.aborted) resolve('aborted');
      signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    let nextChunk: Promise<IteratorResult<Buffer>> | null = null;
    for (;;) {
      nextChunk ??= chunks.next().catch((error: Error) => {
        throw new PipeError(`reading standard input failed: ${error.message}`, 'error', { cause: error });
      });
      const due = cutter.msUntilDue(Date.now());
      const timers = due === Infinity ? [] : [sleep(due).then(() => 'due' as const)];
      const result = await Promise.race([nextChunk, aborted, ...timers]);
      if (result === 'aborted') throw interrupted();
      if (result !== 'due') {
        nextChunk = null;
        if (result.done) break;
        cutter.push(result.value, Date.now());
      }
      for (let payload = cutter.take(Date.now(), false); payload; payload = cutter.take(Date.now(), false))
        await this.sendData(payload);
    }
    for (let payload = cutter.take(Date.now(), true); payload; payload = cutter.take(Date.now(), true))
      await this.sendData(payload);
    await this.publishFrame('end', this.hash.digest());
    await this.waitFor(() => this.inFlight.size === 0);
    // Some brokers (aedes) acknowledge a publish before storing it; this waits until they have.
    await this.throughCuts(() => roundTrip(this.client, this.request.topics.echo(this.client.options.clientId!)));
    this.complete = true;
  }

  /** Tells receivers the stream will not be complete; best effort, the connection may be gone. None needed before the first frame. */
  async abort(reason: string): Promise<void> {
    if (this.lost || !this.client.connected || this.seq === 0) return;
    const frame = encodeFrame({
      type: 'abort',
      streamId: this.streamId,
      seq: this.seq,
      offset: this.offset,
      payload: Buffer.from(reason),
    });
    await publish(this.client, this.request.topics.data, frame, { qos: 1 }).catch(() => {});
  }

  private async sendData(payload: Buffer): Promise<void> {
    const { capacityBytes, maxUnreadFrames } = this.fitted;
    // A frame larger than the capacity still goes once everything before it is consumed.
    const fits = () =>
      (this.offset - this.consumed + payload.length <= capacityBytes || this.offset === this.consumed) &&
      this.unread.size < maxUnreadFrames;
    if (!fits()) {
      this.request.events.blocked?.(true, this.offset - this.consumed);
      await this.waitFor(fits);
      this.request.events.blocked?.(false, this.offset - this.consumed);
    }
    this.hash.update(payload);
    await this.publishFrame('data', payload);
    this.offset += payload.length;
  }

  private async publishFrame(type: FrameType, payload: Buffer): Promise<void> {
    await this.waitFor(() => this.inFlight.size < this.fitted.maxFramesInFlight);
    const seq = this.seq;
    const queuedAhead = seq === 0 ? this.queuedAhead : undefined;
    const frame = encodeFrame({ type, streamId: this.streamId, seq, offset: this.offset, payload, queuedAhead });
    this.inFlight.set(seq, { frame, length: type === 'data' ? payload.length : 0 });
    if (type === 'data') this.unread.set(seq, { frame, end: this.offset + payload.length });
    this.seq += 1;
    this.transmit(seq);
  }

  /** Publishes one in-flight frame on the current connection; a lost connection sends it again. */
  private transmit(seq: number): void {
    const pending = this.inFlight.get(seq)!;
    const client = this.client;
    if (!client.connected) return;
    publish(client, this.request.topics.data, pending.frame, { qos: 1 }).then(
      () => {
        if (!this.inFlight.delete(seq)) return;
        this.accepted += pending.length;
        this.request.events.progress?.(this.accepted);
        this.wake();
      },
      () => {
        // The connection went: reconnect() sends the frame again.
      },
    );
  }

  private largestInFlight(): number {
    return Math.max(0, ...[...this.inFlight.values()].map(({ frame }) => frame.length));
  }

  private get fitted(): SendSettings {
    if (this.settings === null) throw new Error('frames before prepare()');
    return this.settings;
  }

  private async waitFor(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.lost) throw this.lost;
      if (this.request.signal?.aborted) throw interrupted();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.lost) throw this.lost;
  }
}
