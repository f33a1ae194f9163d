import type { IPublishPacket, MqttClient } from 'mqtt';
import { encodePresence, type Presence } from '../../protocol/presence.js';
import { displayName, type PipeTopics } from '../../protocol/topics.js';
import { isMarked, markNewMailbox } from '../mailbox-marker.js';
import type { PresenceWatch } from '../presence-watch.js';
import type { Timings } from '../timings.js';
import type { BrokerTarget } from '../transport/broker-target.js';
import { ConnectionClosed, publish, subscribe, wasTakenOver } from '../transport/connection.js';
import { CONNECTION_INTERRUPTED, Link, type LinkEvents } from '../transport/link.js';

/** A consumer that stopped being heard from: its id, and when it was last heard. */
export interface Silent {
  id: string;
  heardAt: number;
}

/** What the claim needs from the receiver. */
export interface ClaimHost {
  target: BrokerTarget;
  topics: PipeTopics;
  timings: Timings;
  /** This receiver's presence record. */
  presence: Presence;
  /** The receiver's own connection, for the mailbox marker. */
  probe(): MqttClient;
  /** Who consumes the pipe, as far as the receiver knows. */
  watch(): PresenceWatch;
  /** A message on the mailbox connection numbered `connection`. */
  deliver(packet: IPublishPacket, ack: () => void, connection: number): void;
  /** Whether the receiver consumes: only then does a lost mailbox connection come back. */
  consuming(): boolean;
  stopped(): boolean;
  /** The mailbox link's down, up and failed, which the receiver reports. */
  linkEvents: Omit<LinkEvents, 'lost'>;
  warn(message: string): void;
}

/**
 * Attaches a receiver to a pipe's mailbox session when nobody consumes the pipe, and keeps it
 * attached: a consumer whose connection another client takes over takes it back, and puts its
 * presence record back when a Will clears it.
 */
export class MailboxClaim {
  /** The mailbox connection, once a claim was tried. */
  link: Link | null = null;
  /** When this receiver last published its presence record. */
  private publishedAt = 0;

  constructor(private readonly host: ClaimHost) {}

  /**
   * Tries until this receiver consumes the pipe ('consumer') or finds another receiver consuming
   * it (that receiver's record); null when the receive stopped meanwhile. The record of a consumer
   * that went silent is taken for nobody's, until that consumer is heard from again.
   */
  async decide(ignoring: Silent | null = null): Promise<'consumer' | Presence | null> {
    const { presence, timings } = this.host;
    while (!this.host.stopped()) {
      const watch = this.host.watch();
      const consumer = watch.current;
      // A silent consumer that is heard from again is one again.
      const silent = ignoring !== null && consumer?.id === ignoring.id && watch.lastHeardAt <= ignoring.heardAt;
      if (consumer !== null && consumer.id !== presence.id && !silent) return consumer;
      if (await this.claim()) return 'consumer';
      await sleep(timings.claimRetryMs * (1 + Math.random()));
    }
    return null;
  }

  /** Attaches to the mailbox session; false if another receiver took it over meanwhile. */
  private async claim(): Promise<boolean> {
    const link = this.mailboxLink(await isMarked(this.host.probe(), this.host.topics));
    this.link = link;
    try {
      await link.open();
    } catch (error) {
      if (error instanceof ConnectionClosed) return false; // taken over while attaching
      throw error;
    }
    await sleep(this.host.timings.claimSettleMs);
    if (this.link !== link || !link.connected || this.host.stopped()) return false;
    const current = this.host.watch().current;
    if (current !== null && current.id !== this.host.presence.id) {
      link.abandon();
      return false;
    }
    return true;
  }

  /** `markedBefore`: whether the mailbox marker was set before the first connection. */
  private mailboxLink(markedBefore: boolean): Link {
    const { target, topics, timings } = this.host;
    return new Link(
      {
        target,
        connect: {
          clientId: topics.mailboxClientId,
          clean: false,
          will: { topic: topics.presence, payload: Buffer.alloc(0), retain: true, qos: 1 },
        },
        deliver: (packet, ack, connection) => this.host.deliver(packet, ack, connection),
        attach: async ({ client, sessionPresent }, again) => {
          // Subscribed before it says it is present: a sender that sees the record publishes without
          // making sure of the mailbox, and a new session holds no subscription until this one.
          await subscribe(client, [topics.data], 1);
          await publish(client, topics.presence, encodePresence(this.host.presence), { qos: 1, retain: true });
          this.publishedAt = Date.now();
          if (sessionPresent) return;
          // On a reconnect the probe may have been down too; the marker then is read after connecting.
          const marked = again ? await isMarked(this.host.probe(), topics) : markedBefore;
          await markNewMailbox(this.host.probe(), topics, this.host.warn, marked);
        },
        doing: `receiving from ${displayName(topics.name)}`,
        timings,
      },
      { ...this.host.linkEvents, lost: (client) => this.lost(client) },
    );
  }

  /** Another client took the session over, or the network failed: a consumer takes it back. */
  private lost(client: MqttClient): string | null {
    if (this.host.stopped() || !this.host.consuming()) return null;
    // MQTT 5 brokers say when another connection with the mailbox's client id took it over.
    return wasTakenOver(client)
      ? `another client took over the session of ${displayName(this.host.topics.name)}`
      : CONNECTION_INTERRUPTED;
  }

  /** A Will from a taken-over connection can clear our record; put it back. */
  reassert(current: Presence | null): void {
    const link = this.link;
    if (this.host.stopped() || !this.host.consuming() || link === null || link.state === 'closed') return;
    if (!link.client.connected || current?.id === this.host.presence.id) return;
    const { topics, presence } = this.host;
    link.client.publish(topics.presence, encodePresence(presence), { qos: 1, retain: true });
    this.publishedAt = Date.now();
  }

  /** A consumer publishes its record again now and then: listeners that hear nothing take its place. */
  refresh(now: number): void {
    const link = this.link;
    if (!this.host.consuming() || link === null || !link.connected) return;
    if (now - this.publishedAt < this.host.timings.presenceRefreshMs) return;
    this.publishedAt = now;
    publish(link.client, this.host.topics.presence, encodePresence(this.host.presence), {
      qos: 1,
      retain: true,
    }).catch(() => {});
  }

  /** Leaves cleanly: clears the presence record and disconnects, so no Will fires and the session stays. */
  async leave(): Promise<void> {
    await this.link?.close((client) =>
      publish(client, this.host.topics.presence, Buffer.alloc(0), { qos: 1, retain: true }),
    );
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
