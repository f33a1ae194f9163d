import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import { parseAdvertisement, tighter, type BrokerLimits, type RefusedFrame } from '../../protocol/advertisement.js';
import { interrupted, PipeError } from '../../protocol/errors.js';
import { frameRoom, HEADER_BYTES, STREAM_ID_BYTES, type FrameType } from '../../protocol/frame.js';
import { parseProgress } from '../../protocol/progress.js';
import { encodeSentRecord } from '../../protocol/sender-record.js';
import { displayName } from '../../protocol/topics.js';
import { timingsWith, type Timings } from '../timings.js';
import { publish, randomClientId } from '../transport/connection.js';
import { CONNECTION_INTERRUPTED, Link } from '../transport/link.js';
import { retryWhileClosed } from '../transport/reconnect.js';
import { roundTrip } from '../transport/retained.js';
import { framePoolFor, type FramePool } from './frame-pool.js';
import { FrameWindow } from './frame-window.js';
import { framePayloads } from './input-frames.js';
import { SenderHeartbeat } from './heartbeat.js';
import { ensureMailbox } from './mailbox-check.js';
import { announceAndLook, announceSender } from './pipe-at-start.js';
import type { SendRequest } from './request.js';
import { endRefusedStream } from './refused-stream.js';
import { fitToBroker, framesTooLarge, type SendSettings } from './settings.js';
import { StreamFrames } from './stream-frames.js';

/** Sends one stream (the input up to its EOF) into a pipe; resolves with its length once the broker holds all of it. */
export async function send(request: SendRequest): Promise<number> {
  const stream = new StreamPublisher(request, randomBytes(STREAM_ID_BYTES), timingsWith(request.timings));
  await stream.open();
  try {
    await stream.prepare();
    await stream.sendInput();
    return stream.length;
  } catch (error) {
    await stream.abort(error instanceof PipeError ? error.message : String(error));
    request.events.stopped?.(stream.length);
    throw error;
  } finally {
    await stream.close();
  }
}

/** Connections in a row that close on a frame before a sender stops: reconnecting would send it again forever. */
const FRUITLESS_CLOSES = 5;

/** Where a stream is: learning the broker's limits and making sure the pipe buffers, sending, held whole, or leaving. */
type Phase = 'preparing' | 'sending' | 'complete' | 'closing';

/** One stream's frames: numbering, hashing, and the windows that keep the pipe within capacity. */
class StreamPublisher {
  private readonly streamHex: string;
  private readonly progressTopic: string;
  private readonly senderTopic: string;
  private readonly hash = createHash('sha256');
  private readonly link: Link;
  private readonly window: FrameWindow;
  private readonly heartbeat: SenderHeartbeat;
  private phase: Phase = 'preparing';
  private readonly frames: StreamFrames;
  /** Memory for full frames, once the frame size is known. */
  private pool: FramePool | null = null;
  private offset = 0;
  /** Why the stream cannot go on, once it cannot. */
  private lost: PipeError | null = null;
  /** The first frame of this stream the broker refused (a quota, a full disk): the pipe holds none from it on. */
  private refusedAt: RefusedFrame | null = null;
  private wake: () => void = () => {};
  /** From the CONNACK (MQTT 5). */
  private limits: BrokerLimits = {};
  /** A skypipe broker's advertised limits, when it sent them. */
  private advertised: BrokerLimits = {};
  /** The request's settings fitted to the broker's limits, once prepare() has learnt them; no frame goes before. */
  private settings: SendSettings | null = null;

  constructor(
    private readonly request: SendRequest,
    streamId: Buffer,
    private readonly timings: Timings,
  ) {
    const { topics, events } = request;
    this.streamHex = streamId.toString('hex');
    this.progressTopic = topics.progress(this.streamHex);
    this.senderTopic = topics.sender(this.streamHex);
    this.frames = new StreamFrames(streamId);
    request.signal?.addEventListener('abort', () => this.wake(), { once: true });
    this.window = new FrameWindow(
      (frame) => (this.link.client.connected ? publish(this.link.client, topics.data, frame, { qos: 1 }) : null),
      () => this.wake(),
      events.progress,
      (frame) => this.pool?.release(frame),
    );
    this.link = new Link(
      {
        target: request.target,
        // A clean session whose Will clears the stream's sender record: receivers learn that the sender went away.
        connect: {
          clientId: randomClientId('sender'),
          clean: true,
          will: { topic: this.senderTopic, payload: Buffer.alloc(0), retain: true, qos: 1 },
        },
        attach: (connection, again) => this.attach(connection.client, again),
        doing: `sending into ${displayName(topics.name)}`,
        timings,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
      {
        lost: () => this.connectionLost(),
        down: () => events.status?.(`${CONNECTION_INTERRUPTED}; reconnecting`),
        up: () => {
          events.status?.('connected again');
          this.wake();
        },
        failed: (error) => {
          this.lost ??= error instanceof PipeError ? error : new PipeError(String(error), 'error', { cause: error });
          this.wake();
        },
      },
    );
    const connected = () => (this.link.connected ? this.link.client : null);
    this.heartbeat = new SenderHeartbeat(connected, this.senderTopic, timings.senderRefreshMs);
  }

  async open(): Promise<void> {
    this.limits = (await this.link.open()).limits;
  }

  /** On every connection: follow the consumer and the broker; after a loss, announce and send again. */
  private async attach(client: MqttClient, again: boolean): Promise<void> {
    this.window.connectionOpened();
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    if (!again) return;
    await this.announce();
    this.window.sendAgain();
  }

  /** Whether to get a lost connection back: not while leaving, nor from a broker that refuses the frames' size. */
  private connectionLost(): string | null {
    if (this.phase === 'closing' || this.lost) return null;
    if (this.window.fruitlessClose() < FRUITLESS_CLOSES) return CONNECTION_INTERRUPTED;
    this.lost = framesTooLarge(FRUITLESS_CLOSES, this.window.largestInFlight);
    this.wake();
    return null;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const { events, topics } = this.request;
    if (topic === topics.advertisement) {
      const advertised = parseAdvertisement(payload);
      if (advertised === undefined) events.warn(`ignoring a foreign message on ${topic}`);
      else if (advertised.refused !== undefined) {
        // The broker closes the connection next; frames it did not acknowledge are not in the pipe.
        this.lost ??= new PipeError(`the broker refused more of this stream: ${advertised.refused}`);
        if (advertised.refusedFrame?.stream === this.streamHex) this.refusedAt ??= advertised.refusedFrame;
        this.wake();
      } else this.advertised = advertised;
      return;
    }
    if (topic !== this.progressTopic) return;
    const consumed = parseProgress(payload);
    if (consumed === undefined) return events.warn(`ignoring a foreign message on ${this.progressTopic}`);
    if (consumed !== null) this.window.consumedThrough(consumed);
  }

  /**
   * Leaves the record of a complete stream, which a consumer clears once it has written it, or
   * clears the record of one that will not complete; then disconnects, so the Will does not fire.
   */
  async close(): Promise<void> {
    this.heartbeat.stop();
    const complete = this.phase === 'complete';
    if (complete) {
      // Through a cut too: without it a consumer could not tell whether the broker dropped the stream.
      const record = encodeSentRecord(this.offset, hostname(), new Date());
      await this.throughCuts(() => publish(this.link.client, this.senderTopic, record, { qos: 1, retain: true })).catch(
        () => {},
      );
    }
    this.phase = 'closing';
    await this.link.close(
      complete ? undefined : (client) => publish(client, this.senderTopic, Buffer.alloc(0), { qos: 1, retain: true }),
    );
  }

  get length(): number {
    return this.offset;
  }

  /** Runs a request to the broker, and again once the link has brought back a connection that closed under it. */
  private throughCuts<T>(step: () => Promise<T>): Promise<T> {
    return retryWhileClosed(
      async () => {
        await this.link.settled();
        if (this.lost) throw this.lost;
        if (this.link.state === 'closed') throw interrupted();
        return step();
      },
      () => this.request.signal?.aborted === true,
    );
  }

  /** See announceSender(). */
  private announce(): Promise<void> {
    const follow = [this.progressTopic, this.request.topics.advertisement];
    return announceSender(this.link.client, follow, this.senderTopic, this.request.size);
  }

  /** Announces the stream, fits the settings to the broker's limits, and makes sure the pipe buffers if nobody receives. */
  prepare(): Promise<void> {
    return this.throughCuts(async () => {
      const { target, topics, events } = this.request;
      const client = this.link.client;
      const pipe = await announceAndLook(client, topics, () => this.announce(), events.warn);
      this.settings = fitToBroker(this.request.settings, tighter(this.limits, this.advertised), topics.data);
      if (!pipe.consumed)
        this.frames.queuedAhead = await ensureMailbox({
          target,
          topics,
          own: client,
          warn: events.warn,
          timings: this.timings,
          stopped: () => this.request.signal?.aborted === true,
          queueFirst: this.advertised.queueFirst === true,
          markedBefore: pipe.marked,
        });
      this.phase = 'sending';
      this.heartbeat.start();
    });
  }

  async sendInput(): Promise<void> {
    const pool = (this.pool = framePoolFor(this.fitted));
    const cutting = { ...this.fitted, headroom: HEADER_BYTES, allocate: (size: number) => pool.take(size) };
    for await (const room of framePayloads(this.request.input, cutting, this.request.signal, this.window))
      await this.sendData(room);
    const end = frameRoom(32);
    this.hash.digest().copy(end, HEADER_BYTES);
    await this.publishFrame('end', end);
    await this.waitFor(() => this.window.framesInFlight === 0);
    // Some brokers (aedes) acknowledge a publish before storing it; this waits until they have.
    if (this.advertised.acknowledgesStored !== true)
      await this.throughCuts(() =>
        roundTrip(this.link.client, this.request.topics.echo(this.link.client.options.clientId!)),
      );
    this.heartbeat.stop();
    this.phase = 'complete';
  }

  /** Tells receivers the stream will not be complete; best effort. None needed before the first frame. */
  async abort(reason: string): Promise<void> {
    if (this.frames.seq === 0) return;
    const at = this.refusedAt;
    if (at !== null) return endRefusedStream(this.request, this.frames.abort(reason, at.offset, at.seq), this.timings);
    if (this.lost || !this.link.connected) return;
    const frame = this.frames.abort(reason, this.offset);
    await publish(this.link.client, this.request.topics.data, frame, { qos: 1 }).catch(() => {});
  }

  /** One data frame, from its payload after HEADER_BYTES of room. */
  private async sendData(room: Buffer): Promise<void> {
    const payload = room.subarray(HEADER_BYTES);
    const { capacityBytes, maxUnreadFrames } = this.fitted;
    const unreadBytes = () => this.offset - this.window.consumed;
    // A frame larger than the capacity still goes once everything before it is consumed.
    const fits = () =>
      (unreadBytes() + payload.length <= capacityBytes || unreadBytes() === 0) &&
      this.window.unreadFrames < maxUnreadFrames;
    if (!fits()) {
      this.request.events.blocked?.(true, unreadBytes());
      await this.waitFor(fits);
      this.request.events.blocked?.(false, unreadBytes());
    }
    this.hash.update(payload);
    await this.publishFrame('data', room);
    this.offset += payload.length;
  }

  /** Publishes the next frame, built in `room` (HEADER_BYTES, then the payload). */
  private async publishFrame(type: FrameType, room: Buffer): Promise<void> {
    await this.waitFor(() => this.window.framesInFlight < this.fitted.maxFramesInFlight);
    const { seq, frame } = this.frames.next(type, room, this.offset);
    const length = type === 'data' ? room.length - HEADER_BYTES : 0;
    this.window.add(seq, frame, length, type === 'data' ? this.offset + length : null);
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
