import type { MqttClient } from 'mqtt';
import { interrupted } from '../../protocol/errors.js';
import { FrameRejected } from '../../protocol/frame.js';
import { displayName } from '../../protocol/topics.js';
import { ownPresence, PresenceWatch } from '../presence-watch.js';
import { timingsWith, type Timings } from '../timings.js';
import { randomClientId, subscribe } from '../transport/connection.js';
import { CONNECTION_INTERRUPTED, Link } from '../transport/link.js';
import { assemblerEvents } from './assembler-events.js';
import { MailboxClaim, type Silent } from './claim.js';
import { DroppedStreams } from './dropped-streams.js';
import { LinksDown } from './links-down.js';
import { InboundQueue, type Inbound } from './inbound-queue.js';
import type { ReceiveRequest } from './request.js';
import { StreamAssembler, type Verdict } from './stream-assembler.js';
import { StreamRecords } from './stream-records.js';
import { SenderWatch, StalledGapWatch } from './watches.js';

/**
 * Receives from a pipe. With nobody consuming it, the receiver attaches to the pipe's mailbox
 * session and consumes: it acknowledges a frame only after writing it, so whatever it does not
 * write stays in the pipe. With a consumer present, it listens in on a session of its own.
 */
export function receive(request: ReceiveRequest): Promise<void> {
  return new Receiver(request).run();
}

/** What the receiver is to the pipe: not yet known, its consumer, or a listener to another's. */
type Role = 'undecided' | 'consumer' | 'listener';

/** Whether the receive goes on, or is leaving (done or failed). */
type Life = 'running' | 'leaving';

class Receiver {
  private readonly id = randomClientId('receiver');
  private readonly timings: Timings;
  private role: Role = 'undecided';
  private life: Life = 'running';
  /** The receiver's own clean session: presence watching, sender records, and the data when listening in. */
  private readonly probe: Link;
  private presenceWatch: PresenceWatch | null = null;
  private readonly claim: MailboxClaim;
  private readonly inbound: InboundQueue;
  private readonly assembler: StreamAssembler;
  private readonly records: StreamRecords;
  private readonly dropped: DroppedStreams;
  private readonly senders: SenderWatch;
  private readonly stalledGaps: StalledGapWatch;
  private readonly linksDown: LinksDown;
  private ticker: NodeJS.Timeout | null = null;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor(private readonly request: ReceiveRequest) {
    const { topics, events, target } = request;
    const timings = timingsWith(request.timings);
    this.timings = timings;
    const stopped = () => this.life !== 'running';
    const consuming = () => this.role === 'consumer';
    this.linksDown = new LinksDown(
      events.status,
      () => !stopped(),
      (error) => this.fail(error),
    );
    this.records = new StreamRecords(topics, topics.echo(this.id), {
      probe: () => this.probe,
      consumerClient: () => this.consumerClient(),
      warn: events.warn,
    });
    this.assembler = new StreamAssembler(
      request.output,
      request.follow,
      assemblerEvents({
        topics,
        warn: events.warn,
        events,
        consuming,
        records: this.records,
        dropped: () => this.dropped,
        inbound: () => this.inbound,
        notAhead: (streamId) => this.assembler.notAhead(streamId),
        listenInSettleMs: timings.listenInSettleMs,
      }),
      timings,
    );
    this.dropped = new DroppedStreams(
      {
        records: this.records,
        streams: this.assembler,
        consumerClient: () => this.consumerClient(),
        rereadRecords: () => void subscribe(this.probe.client, [topics.sender('+')], 0).catch(() => {}),
        queued: (streamId) => this.inbound.holds(streamId),
        lastDeliveryAt: () => this.inbound.lastMailboxDeliveryAt,
        stopped,
        fail: (error) => this.fail(error),
        warn: events.warn,
      },
      topics,
      request.follow,
      timings,
    );
    this.inbound = new InboundQueue({
      consuming,
      listening: () => this.role === 'listener',
      isCurrentMailbox: (connection) => this.claim.link?.isCurrent(connection) === true,
      syncArrived: (token) => this.dropped.syncArrived(token),
      mailboxFrameArrived: (streamId, isEnd) => {
        if (this.role === 'consumer') this.dropped.frameArrived(streamId, isEnd, Date.now());
      },
      handle: (item) => this.handle(item),
      drained: () => (this.assembler.waiting ? this.advance(() => this.assembler.writeReleased()) : Promise.resolve()),
      stopped,
    });
    this.senders = new SenderWatch(
      {
        senderTopicPrefix: topics.sender(''),
        quietStreams: (now, quietMs) => this.assembler.quietStreams(now, quietMs),
        senderRecord: (streamId) => this.records.senderRecord(streamId),
        abandon: (streamId, reason) => this.assembler.abandon(streamId, reason),
        sized: (streamId, bytes) => events.sized?.(streamId, bytes),
        stopped,
      },
      timings,
    );
    this.stalledGaps = new StalledGapWatch(
      {
        gapsSince: () => [this.assembler.oldestGapSince(), this.dropped.oldestMissingSince()],
        mailboxSteady: () => consuming() && this.claim.link?.connected === true && !this.linksDown.any,
        reopenMailbox: (why) => this.claim.link?.reopen(why),
      },
      timings,
    );
    this.claim = new MailboxClaim({
      target,
      topics,
      timings,
      presence: ownPresence(this.id),
      probe: () => this.probe.client,
      watch: () => this.presenceWatch!,
      deliver: (packet, ack, connection) => this.inbound.arrive(packet, ack, { from: 'mailbox', connection }),
      consuming,
      stopped,
      linkEvents: this.linksDown.eventsFor(() => this.claim.link),
      warn: events.warn,
    });
    this.probe = new Link(
      {
        target,
        connect: { clientId: this.id, clean: true },
        deliver: (packet, ack) =>
          packet.topic === topics.data ? this.inbound.arrive(packet, ack, { from: 'probe' }) : ack(),
        attach: ({ client }) => this.attachProbe(client),
        doing: `receiving from ${displayName(topics.name)}`,
        timings,
      },
      { ...this.linksDown.eventsFor(() => this.probe), lost: () => (stopped() ? null : CONNECTION_INTERRUPTED) },
    );
  }

  async run(): Promise<void> {
    const result = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // Listening before the first connection: an abort while it is made must end the receive too,
    // and may settle `result` before it is returned.
    result.catch(() => {});
    const { signal } = this.request;
    signal?.addEventListener('abort', () => this.fail(interrupted()), { once: true });
    if (signal?.aborted) this.fail(interrupted());
    try {
      await this.probe.open();
    } catch (error) {
      // Aborted meanwhile, the receive has its error already.
      if (this.life === 'running') throw error;
    }
    if (this.life !== 'running') return result;
    this.ticker = setInterval(() => this.tick(Date.now()), this.timings.receiverTickMs);
    void this.decideRole().catch((error: unknown) => this.fail(error));
    return result;
  }

  /** On every probe connection: the presence watch, the data when listening in, and the sender records (every role hears its senders). */
  private async attachProbe(client: MqttClient): Promise<void> {
    const { topics, events } = this.request;
    client.on('message', (topic, payload, packet) => {
      if (this.role === 'consumer') this.dropped.onSenderRecord(topic, payload);
      this.senders.recordArrived(topic, payload, !packet.retain, Date.now());
    });
    this.presenceWatch = await PresenceWatch.start(client, topics, events.warn);
    this.presenceWatch.onChange((current) => this.claim.reassert(current));
    if (this.role === 'listener') await subscribe(client, [topics.data], 1);
    await subscribe(client, [topics.sender('+')], 0);
  }

  /** Consume if nobody does (or only `ignoring`, a consumer gone silent); otherwise listen in. */
  private async decideRole(ignoring: Silent | null = null): Promise<void> {
    const { topics, events } = this.request;
    const decided = await this.claim.decide(ignoring);
    if (decided === null) return;
    if (decided === 'consumer') {
      this.role = 'consumer';
      this.inbound.lastMailboxDeliveryAt = Date.now();
      // The retained records again, now that they count (a probe connection lost meanwhile subscribes again).
      await subscribe(this.probe.client, [topics.sender('+')], 0).catch(() => {});
      void this.inbound.drain();
      (events.waiting ?? events.status)?.(`waiting on ${displayName(topics.name)}`);
      return;
    }
    this.role = 'listener';
    await subscribe(this.probe.client, [topics.data], 1);
    events.status?.(`listening in on ${displayName(topics.name)}, which a receiver on ${decided.host} consumes`);
  }

  private tick(now: number): void {
    // A gap cannot close while the connections are down; its clock restarts when they are back.
    if (this.linksDown.any) {
      this.dropped.restartClocks(now);
      this.senders.restartClocks(now);
      return this.assembler.restartGapClocks(now);
    }
    try {
      this.assembler.checkGaps(now);
      if (this.role === 'consumer') this.dropped.check(now);
    } catch (error) {
      this.fail(error);
    }
    if (this.role === 'consumer') this.claim.refresh(now);
    if (this.role === 'listener') this.checkConsumerHeard(now);
    this.stalledGaps.check(now);
    void this.senders.check(now).catch((error: unknown) => this.fail(error));
    // A stream waiting for one queued ahead of it is written once that one has come, or after a while.
    if (this.assembler.waiting) void this.inbound.drain();
  }

  /**
   * A listener that has heard nothing from the consumer for a while, and has written nothing,
   * takes its place: a consumer that died where no Will cleared its record must not wedge the pipe.
   */
  private checkConsumerHeard(now: number): void {
    const watch = this.presenceWatch;
    const silent = watch?.current;
    if (!silent || now - watch.lastHeardAt < this.timings.consumerSilentMs) return;
    if (this.assembler.started || this.assembler.hasOpenStreams) return;
    this.role = 'undecided';
    const { topics, events } = this.request;
    const seconds = Math.round((now - watch.lastHeardAt) / 1000);
    events.status?.(`the receiver on ${silent.host} has not been heard from in ${seconds} s; taking its place`);
    if (this.probe.connected) this.probe.client.unsubscribe(topics.data);
    void this.decideRole({ id: silent.id, heardAt: watch.lastHeardAt }).catch((error: unknown) => this.fail(error));
  }

  /** The mailbox connection while this receiver consumes and it is open. */
  private consumerClient(): MqttClient | null {
    const link = this.claim.link;
    if (this.role !== 'consumer' || link === null || link.state === 'closed') return null;
    return link.client.connected ? link.client : null;
  }

  private async handle({ packet, ack, frame }: Inbound): Promise<void> {
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

  private async finish(): Promise<void> {
    if (this.life !== 'running') return;
    await this.dropped.settled();
    if (this.life !== 'running') return;
    this.life = 'leaving';
    await this.leave();
    this.settle.resolve();
  }

  private fail(error: unknown): void {
    if (this.life !== 'running') return;
    this.life = 'leaving';
    void this.leave().finally(() => this.settle.reject(error));
  }

  /** Leaves cleanly: what was not acknowledged stays in the pipe, and no Will fires. */
  private async leave(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    await this.claim.leave();
    await this.probe.close();
  }
}
