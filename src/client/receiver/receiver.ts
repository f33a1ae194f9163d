import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Writable } from 'node:stream';
import type { BrokerTarget } from '../transport/broker-target.js';
import {
  connect,
  ConnectionClosed,
  disconnect,
  publish,
  randomClientId,
  subscribe,
  wasTakenOver,
} from '../transport/connection.js';
import { interrupted, PipeError } from '../../protocol/errors.js';
import { reconnect, retryWhileClosed } from '../transport/reconnect.js';
import { DeliveryAudit } from './delivery-audit.js';
import { describeBytes } from '../../protocol/describe-bytes.js';
import { encodeFrame, FrameRejected, readFrame, type Frame, type QueuedAhead } from '../../protocol/frame.js';
import { isMarked, markNewMailbox } from '../mailbox-marker.js';
import { encodePresence, type Presence } from '../../protocol/presence.js';
import { ownPresence, PresenceWatch } from '../presence-watch.js';
import { encodeProgress, parseProgress } from '../../protocol/progress.js';
import { readRetained } from '../transport/retained.js';
import { parseSenderRecord, type SentStream } from '../../protocol/sender-record.js';
import { timingsWith, type Timings } from '../timings.js';
import { StreamAssembler, type Verdict } from './stream-assembler.js';
import { displayName, type PipeTopics } from '../../protocol/topics.js';

export interface ReceiveEvents {
  warn(message: string): void;
  /** What the receiver is doing, for a person at a terminal. */
  status?(message: string): void;
}

export interface ReceiveRequest {
  target: BrokerTarget;
  topics: PipeTopics;
  output: Writable;
  /** Keep receiving across the ends of streams (until interrupted). */
  follow: boolean;
  events: ReceiveEvents;
  signal?: AbortSignal;
  /** Overrides of the default timings. */
  timings?: Partial<Timings>;
}

/** One connection to the mailbox session; frames remember which one they came on. */
interface MailboxLink {
  client: MqttClient | null;
}

interface Delivery {
  packet: IPublishPacket;
  ack: () => void;
  /** The mailbox connection it came on; null for the listen-in connection. */
  mailbox: MailboxLink | null;
}

interface Inbound extends Delivery {
  /** Decoded once, where it arrives; or why the message is not a frame, reported in its turn. */
  frame: Frame | FrameRejected;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Receives from a pipe. With nobody consuming it, the receiver attaches to the pipe's mailbox
 * session and consumes: it acknowledges a frame only after writing it, so whatever it does not
 * write stays in the pipe. With a consumer present, it listens in on a session of its own.
 */
export function receive(request: ReceiveRequest): Promise<void> {
  return new Receiver(request).run();
}

class Receiver {
  private readonly id = randomClientId('receiver');
  private readonly presence: Presence;
  private readonly assembler: StreamAssembler;
  private probe!: MqttClient;
  private watch: PresenceWatch | null = null;
  private mailbox: MailboxLink | null = null;
  private claimed = false;
  /** Listening in: the probe session carries the data. */
  private listening = false;
  private checkingSenders = false;
  /** Connections being restored now. */
  private readonly restoring = new Set<'probe' | 'mailbox'>();
  /** Quiet streams whose sender record was found cleared, and since when. */
  private readonly senderGoneSince = new Map<string, number>();
  private stopping = false;
  private readonly inbound: Inbound[] = [];
  private draining = false;
  private watchdog: NodeJS.Timeout | null = null;
  private stalledGap = { retries: 0, lastAt: 0 };
  /** Streams whose senders finished, checked against what the mailbox delivers. */
  private readonly audit: DeliveryAudit;
  /** When the mailbox last delivered anything. */
  private lastDeliveryAt = 0;
  /** Reads of sender records, one at a time (each listens on the probe connection); a receive finishes them before it leaves. */
  private recordReads: Promise<void> = Promise.resolve();
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  private readonly timings: Timings;

  constructor(private readonly request: ReceiveRequest) {
    const { topics, events } = request;
    this.timings = timingsWith(request.timings);
    this.audit = new DeliveryAudit(this.timings);
    this.presence = ownPresence(this.id);
    this.assembler = new StreamAssembler(
      request.output,
      request.follow,
      {
        warn: events.warn,
        startOf: (streamId, first) => (this.claimed ? this.cursorOf(streamId) : this.firstLiveOffset(first)),
        joined: (_streamId, offset) =>
          events.warn(
            this.claimed
              ? `continuing a stream at byte ${offset}, where an earlier receiver of ${displayName(topics.name)} stopped`
              : `listening in from byte ${offset} of a stream`,
          ),
        written: (streamId, consumed) => this.reportProgress(streamId, encodeProgress(consumed)),
        ended: (streamId, complete) => this.streamEnded(streamId, complete),
        waiting: (_streamId, ahead) => void this.checkQueuedAhead(ahead),
      },
      this.timings,
    );
  }

  async run(): Promise<void> {
    const result = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    await this.openProbe(false);
    this.request.signal?.addEventListener('abort', () => this.fail(interrupted()), { once: true });
    this.watchdog = setInterval(() => {
      // A gap cannot close while the connections are down; its clock restarts when they are back.
      if (this.restoring.size > 0) {
        this.audit.restartClocks(Date.now());
        return this.assembler.restartGapClocks(Date.now());
      }
      try {
        this.assembler.checkGaps(Date.now());
        this.auditDelivery(Date.now());
      } catch (error) {
        this.fail(error);
      }
      this.unstickGap(Date.now());
      void this.checkSenders(Date.now());
      // A stream waiting for one queued ahead of it is written once that one has come, or after a while.
      if (this.assembler.waiting) void this.drain();
    }, this.timings.receiverTickMs);
    void this.attach().catch((error: unknown) => this.fail(error));
    return result;
  }

  /** The receiver's own clean session: presence watching, and the data when listening in. */
  private async openProbe(again: boolean): Promise<void> {
    const { target, topics, events } = this.request;
    const options = {
      clientId: this.id,
      clean: true,
      deliver: (packet: IPublishPacket, ack: () => void) =>
        packet.topic === topics.data ? this.enqueue({ packet, ack, mailbox: null }) : ack(),
    };
    const { client } = again
      ? await reconnect(target, options, this.doing(), () => this.stopping, this.timings)
      : await connect(target, options, this.timings);
    this.probe = client;
    client.on('close', () => this.onProbeClosed(client));
    client.on('message', (topic, payload) => this.onSenderRecord(topic, payload));
    this.watch = await PresenceWatch.start(client, topics, events.warn);
    this.watch.onChange((current) => this.reassertPresence(current));
    if (this.listening) await subscribe(client, [topics.data], 1);
    if (this.claimed) await subscribe(client, [topics.sender('+')], 0);
  }

  private doing(): string {
    return `receiving from ${displayName(this.request.topics.name)}`;
  }

  private onProbeClosed(client: MqttClient): void {
    if (this.probe !== client || this.stopping) return;
    void this.restore('probe');
  }

  /**
   * Restores one connection, one attempt at a time: a connection that closes while being restored
   * is retried by the attempt under way, or by a new one if it closed just as that finished.
   * Reports on a terminal while any connection is down.
   */
  private async restore(
    which: 'probe' | 'mailbox',
    why = 'the connection to the broker was interrupted',
  ): Promise<void> {
    if (this.restoring.has(which) || this.stopping) return;
    this.restoring.add(which);
    if (this.restoring.size === 1) this.request.events.status?.(`${why}; reconnecting`);
    try {
      await retryWhileClosed<unknown>(
        () => (which === 'probe' ? this.openProbe(true) : this.openMailbox(true)),
        () => this.stopping,
      );
    } catch (error) {
      this.fail(error);
    } finally {
      this.restoring.delete(which);
    }
    const down = which === 'probe' ? !this.probe.connected : this.claimed && !this.mailbox?.client?.connected;
    if (down) return this.restore(which);
    if (this.restoring.size === 0 && !this.stopping) this.request.events.status?.('connected again');
  }

  /** Consume if nobody does; otherwise listen in. */
  private async attach(): Promise<void> {
    const { topics, events } = this.request;
    while (!this.stopping) {
      const consumer = this.watch!.current;
      if (consumer !== null && consumer.id !== this.id) {
        this.listening = true;
        await subscribe(this.probe, [topics.data], 1);
        events.status?.(`listening in on ${displayName(topics.name)}, which a receiver on ${consumer.host} consumes`);
        return;
      }
      if (await this.claim()) {
        events.status?.(`waiting on ${displayName(topics.name)}`);
        return;
      }
      await sleep(this.timings.claimRetryMs * (1 + Math.random()));
    }
  }

  /** Attaches to the mailbox session; false if another receiver took it over meanwhile. */
  private async claim(): Promise<boolean> {
    let link: MailboxLink;
    try {
      link = await this.openMailbox();
    } catch (error) {
      if (error instanceof ConnectionClosed) return false; // taken over while attaching
      throw error;
    }
    const client = link.client!;
    await sleep(this.timings.claimSettleMs);
    if (this.mailbox !== link || !client.connected || this.stopping) return false;
    const current = this.watch!.current;
    if (current !== null && current.id !== this.id) {
      this.mailbox = null;
      client.end(true);
      return false;
    }
    this.claimed = true;
    this.lastDeliveryAt = Date.now();
    // The records of finished streams, now and as they come (retained ones right after the SUBACK).
    // A probe connection lost meanwhile subscribes again when it is back.
    await subscribe(this.probe, [this.request.topics.sender('+')], 0).catch(() => {});
    void this.drain();
    return true;
  }

  private async openMailbox(again = false): Promise<MailboxLink> {
    const { target, topics } = this.request;
    const link: MailboxLink = { client: null };
    const options = {
      clientId: topics.mailboxClientId,
      clean: false,
      will: { topic: topics.presence, payload: Buffer.alloc(0), retain: true, qos: 1 as const },
      deliver: (packet: IPublishPacket, ack: () => void) =>
        packet.topic === topics.data ? this.enqueue({ packet, ack, mailbox: link }) : ack(),
    };
    // On a reconnect the probe may be down too; the marker then is read after connecting.
    const markedBefore = again ? null : await isMarked(this.probe, topics);
    const { client, sessionPresent } = again
      ? await reconnect(target, options, this.doing(), () => this.stopping, this.timings)
      : await connect(target, options, this.timings);
    link.client = client;
    this.mailbox = link;
    client.on('close', () => this.onMailboxClosed(link));
    // Subscribed before it says it is present: a sender that sees the record publishes without
    // making sure of the mailbox, and a new session holds no subscription until this one.
    await subscribe(client, [topics.data], 1);
    await publish(client, topics.presence, encodePresence(this.presence), { qos: 1, retain: true });
    if (!sessionPresent)
      await markNewMailbox(
        this.probe,
        topics,
        this.request.events.warn,
        markedBefore ?? (await isMarked(this.probe, topics)),
      );
    return link;
  }

  /** Another client took the session over, or the network failed: a consumer takes it back. */
  private onMailboxClosed(link: MailboxLink): void {
    if (this.mailbox !== link) return;
    this.mailbox = null;
    if (this.stopping || !this.claimed) return;
    // MQTT 5 brokers say when another connection with the mailbox's client id took it over.
    void this.restore(
      'mailbox',
      wasTakenOver(link.client!)
        ? `another client took over the session of ${displayName(this.request.topics.name)}`
        : undefined,
    );
  }

  /**
   * Opens the mailbox connection again when a gap has stalled: on a new connection the broker sends
   * what is unacknowledged again, oldest first (MQTT-4.4.0-1). Frames held meanwhile are the same
   * bytes; the copies that come again are acknowledged with them.
   */
  private unstickGap(now: number): void {
    const since = earliest(this.assembler.oldestGapSince(), this.audit.oldestMissingSince());
    if (since === null) {
      this.stalledGap = { retries: 0, lastAt: 0 };
      return;
    }
    const client = this.mailbox?.client;
    if (!this.claimed || !client?.connected || this.restoring.size > 0) return;
    if (
      now - since < this.timings.stalledGapMs ||
      now - this.stalledGap.lastAt < this.timings.stalledGapRetryMs ||
      this.stalledGap.retries >= this.timings.stalledGapRetries
    )
      return;
    this.stalledGap = { retries: this.stalledGap.retries + 1, lastAt: now };
    this.mailbox = null;
    // A DISCONNECT, so that no Will clears our presence record meanwhile.
    void disconnect(client).finally(() =>
      this.restore('mailbox', 'frames are missing from a stream; asking the broker for them again'),
    );
  }

  /** A Will from a taken-over connection can clear our record; put it back. */
  private reassertPresence(current: Presence | null): void {
    const client = this.mailbox?.client ?? null;
    if (this.stopping || !this.claimed || client === null || !client.connected) return;
    if (current?.id === this.id) return;
    client.publish(this.request.topics.presence, encodePresence(this.presence), { qos: 1, retain: true });
  }

  /**
   * For streams that have gone quiet, whether their sender is still connected (its retained sender
   * record, which its Will clears). A sender gone longer than the sender timeout will not finish.
   */
  private async checkSenders(now: number): Promise<void> {
    if (this.checkingSenders || this.stopping) return;
    this.checkingSenders = true;
    const { topics } = this.request;
    try {
      for (const id of this.assembler.quietStreams(now, this.timings.quietStreamMs)) {
        // A connection lost meanwhile is being restored; the next check asks again.
        const record = await readRetained(this.probe, topics.sender(id), topics.echo(this.id)).catch(() => undefined);
        if (record === undefined) return;
        if (record !== null && record.length > 0) {
          this.senderGoneSince.delete(id);
          continue;
        }
        const since = this.senderGoneSince.get(id) ?? now;
        this.senderGoneSince.set(id, since);
        if (Date.now() - since >= this.timings.senderTimeoutMs) {
          this.senderGoneSince.delete(id);
          const waited = Math.round((Date.now() - since) / 1000);
          this.assembler.abandon(id, `the sender lost its connection and has not come back for ${waited} s`);
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.checkingSenders = false;
    }
  }

  /** Where an earlier consumer stopped in a stream (0 if none did). */
  private async cursorOf(streamId: string): Promise<number> {
    const offset = await this.writtenBefore(streamId);
    if (offset === undefined)
      this.request.events.warn(`ignoring a foreign message on ${this.request.topics.progress(streamId)}`);
    return offset ?? 0;
  }

  /**
   * How much of a stream consumers have written, by its progress record: null if there is none,
   * undefined if it holds something else. Fails if the probe connection closes meanwhile.
   */
  private async writtenBefore(streamId: string): Promise<number | null | undefined> {
    const { topics } = this.request;
    const retained = await readRetained(this.probe, topics.progress(streamId), topics.echo(this.id));
    return retained === null ? null : parseProgress(retained);
  }

  /**
   * Where a listener starts in a stream it joins: the lowest offset that arrives within a moment,
   * because brokers may deliver frames slightly out of order.
   */
  private async firstLiveOffset(first: Frame): Promise<number> {
    if (first.offset === 0) return 0;
    await sleep(this.timings.listenInSettleMs);
    let lowest = first.offset;
    for (const { frame } of this.inbound) {
      if (!(frame instanceof FrameRejected) && frame.streamId.equals(first.streamId))
        lowest = Math.min(lowest, frame.offset);
    }
    return lowest;
  }

  /**
   * Sent before the frame's PUBACK on the same connection, so the broker records the cursor
   * before it forgets the frame: the next consumer knows where to start.
   */
  private reportProgress(streamId: string, payload: Buffer): void {
    const client = this.mailbox?.client;
    if (!this.claimed || !client?.connected) return;
    client.publish(this.request.topics.progress(streamId), payload, { qos: 0, retain: true });
  }

  private enqueue(delivery: Delivery): void {
    const frame = readFrame(delivery.packet.payload);
    if (delivery.mailbox !== null) this.lastDeliveryAt = Date.now();
    // Frames and sync markers count where they arrive, ahead of the frames still waiting to be written.
    if (!(frame instanceof FrameRejected)) {
      const streamId = frame.streamId.toString('hex');
      // The order of the streams in the mailbox is the consumer's concern; a listener starts where it joins.
      if (delivery.mailbox === null) delete frame.queuedAhead;
      if (frame.type === 'sync') {
        delivery.ack();
        if (delivery.mailbox !== null && delivery.mailbox === this.mailbox) this.syncArrived(streamId);
        return;
      }
      if (delivery.mailbox !== null && this.claimed)
        this.audit.frameArrived(streamId, frame.type !== 'data', Date.now());
    }
    this.inbound.push({ ...delivery, frame });
    void this.drain();
  }

  /** Handles frames one at a time, in arrival order; mailbox frames wait until the claim holds. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.inbound.length > 0 && !this.stopping) {
        const item = this.inbound[0]!;
        if (item.mailbox !== null && !this.claimed) break;
        this.inbound.shift();
        // Frames from a connection that was taken over come again on the new one.
        if (item.mailbox !== null && item.mailbox !== this.mailbox) continue;
        await this.handleFrame(item);
      }
      if (!this.stopping && this.assembler.waiting) await this.advance(() => this.assembler.writeReleased());
    } finally {
      this.draining = false;
    }
  }

  private async handleFrame({ packet, ack, frame }: Inbound): Promise<void> {
    if (frame instanceof FrameRejected) {
      this.request.events.warn(`skipping a message on ${packet.topic}: ${frame.message}`);
      return ack();
    }
    await this.advance(() => this.assembler.accept(frame, ack));
  }

  /** Runs a step of the assembler: the receive ends with its primary stream, or with its error. */
  private async advance(step: () => Promise<Verdict>): Promise<void> {
    try {
      if ((await step()) === 'finished') await this.finish();
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Streams named as queued ahead of one that has come, but not come themselves: an earlier
   * consumer may have written them (their records say), and then nothing waits for them.
   */
  private async checkQueuedAhead(ahead: QueuedAhead[]): Promise<void> {
    const { topics } = this.request;
    for (const { streamId, through } of ahead) {
      try {
        const record = await readRetained(this.probe, topics.sender(streamId), topics.echo(this.id));
        const written = await this.writtenBefore(streamId);
        if (record === null || record.length === 0 || (typeof written === 'number' && written >= through))
          this.assembler.notAhead(streamId);
      } catch {
        // A connection lost meanwhile: the stream waits its time out instead.
      }
    }
    void this.drain();
  }

  /** A stream is over. A complete one's records go once its sender's record is in; an incomplete one's at once. */
  private streamEnded(streamId: string, complete: boolean): void {
    if (!this.claimed) return; // a listener leaves the records to the consumer
    if (!complete) {
      this.audit.forget(streamId);
      return this.clearRecords(streamId);
    }
    if (this.audit.streamWritten(streamId)) return this.clearRecords(streamId);
    // A consumer that follows first gives a live record a moment to come.
    const wait = this.request.follow ? sleep(this.timings.followRecordWaitMs) : Promise.resolve();
    this.recordReads = Promise.all([wait, this.recordReads]).then(() => this.readSenderRecord(streamId));
  }

  /**
   * A record retained before this consumer subscribed may not have come: RabbitMQ sends retained
   * messages only to subscriptions without wildcards.
   */
  private async readSenderRecord(streamId: string): Promise<void> {
    if (!this.audit.awaitsRecord(streamId) || this.stopping) return;
    const { topics } = this.request;
    // What comes goes to onSenderRecord, as everything on the probe does.
    await readRetained(this.probe, topics.sender(streamId), topics.echo(this.id)).catch(() => null);
  }

  /** A sender's record of its stream, on the probe session while this receiver consumes. */
  private onSenderRecord(topic: string, payload: Buffer): void {
    const prefix = this.request.topics.sender('');
    if (!this.claimed || !topic.startsWith(prefix)) return;
    const streamId = topic.slice(prefix.length);
    const record = parseSenderRecord(payload);
    if (!/^[0-9a-f]{32}$/.test(streamId) || record === undefined)
      return this.request.events.warn(`ignoring a foreign message on ${topic}`);
    if (record === null) {
      // Its sender went away (its Will): a stream written meanwhile leaves no record.
      if (this.audit.recordCleared(streamId)) this.reportProgress(streamId, Buffer.alloc(0));
    } else if (record.state === 'sent' && this.audit.recordSent(streamId, record.sent, Date.now())) {
      this.clearRecords(streamId);
    }
  }

  /** Sends a sync marker when it is due, and reports the streams found dropped. */
  private auditDelivery(now: number): void {
    const client = this.mailbox?.client;
    if (!this.claimed || !client?.connected) return;
    // Subscribing again sends the retained records again (MQTT-3.8.4-3).
    if (this.audit.rereadDue(now, this.lastDeliveryAt))
      subscribe(this.probe, [this.request.topics.sender('+')], 0).catch(() => {});
    const token = this.audit.syncDue(now, this.lastDeliveryAt, this.request.follow);
    if (token !== null) {
      const marker = encodeFrame({
        type: 'sync',
        streamId: Buffer.from(token, 'hex'),
        seq: 0,
        offset: 0,
        payload: Buffer.alloc(0),
      });
      publish(client, this.request.topics.data, marker, { qos: 1 }).catch(() => {});
    }
    const queued = (streamId: string) =>
      this.inbound.some(
        ({ frame }) => !(frame instanceof FrameRejected) && frame.streamId.toString('hex') === streamId,
      );
    const dropped = this.audit.takeDropped(now, queued);
    for (const [streamId] of dropped) {
      this.clearRecords(streamId);
      this.assembler.notAhead(streamId);
    }
    const fix = 'raise its queue limit (Mosquitto: max_queued_messages 0)';
    // Streams dropped whole first, as warnings: giving up on a partial primary stream ends the receive.
    const whole = dropped.filter(([streamId]) => !this.assembler.isOpen(streamId));
    whole.forEach(([, sent], index) => {
      const message = `the broker dropped ${describeSent(sent)} into ${displayName(this.request.topics.name)}: none of it arrived; ${fix}`;
      // A receive that has written nothing fails with the last; the others are warnings.
      const last = index === whole.length - 1 && whole.length === dropped.length;
      if (last && !this.assembler.started && !this.request.follow) throw new PipeError(message, 'incomplete');
      this.request.events.warn(message);
    });
    for (const [streamId, sent] of dropped) {
      if (this.assembler.isOpen(streamId))
        this.assembler.abandon(streamId, `the broker dropped the rest of ${describeSent(sent)}`, fix);
    }
  }

  /**
   * Our sync marker is back: every frame queued before it has been delivered. A stream its sender
   * finished and this consumer has not seen is missing, unless an earlier consumer wrote it all.
   */
  private syncArrived(token: string): void {
    // One time for all it finds missing, so that they are reported together.
    const at = Date.now();
    const unseen = this.audit.syncArrived(token, at);
    if (unseen === null) return;
    void (async () => {
      for (const streamId of unseen) {
        let written;
        try {
          written = await this.writtenBefore(streamId);
        } catch {
          return; // a connection lost meanwhile: the next sync asks again
        }
        const sent = this.audit.sentStream(streamId);
        if (sent === undefined) continue;
        if (typeof written === 'number' && written >= sent.length) {
          this.audit.forget(streamId);
          this.clearRecords(streamId);
        } else this.audit.markMissing(streamId, at);
      }
    })();
  }

  /** Clears a stream's progress and sender records, after the progress that went before them. */
  private clearRecords(streamId: string): void {
    const client = this.mailbox?.client;
    if (!this.claimed || !client?.connected) return;
    this.reportProgress(streamId, Buffer.alloc(0));
    client.publish(this.request.topics.sender(streamId), Buffer.alloc(0), { qos: 1, retain: true });
  }

  private async finish(): Promise<void> {
    if (this.stopping) return;
    await this.recordReads;
    if (this.stopping) return;
    this.stopping = true;
    await this.detach();
    this.settle.resolve();
  }

  private fail(error: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    void this.detach().finally(() => this.settle.reject(error));
  }

  /** Leaves cleanly: clears our presence record and disconnects, so no Will fires and the session stays. */
  private async detach(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    const client = this.mailbox?.client;
    this.mailbox = null;
    if (client?.connected) {
      await publish(client, this.request.topics.presence, Buffer.alloc(0), { qos: 1, retain: true }).catch(() => {});
      await disconnect(client);
    }
    if (this.probe?.connected) await disconnect(this.probe);
  }
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function describeSent(sent: SentStream): string {
  return `a ${describeBytes(sent.length)} stream sent from ${sent.host} at ${sent.at}`;
}
