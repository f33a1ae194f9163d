import type { IPublishPacket, MqttClient } from 'mqtt';
import { interrupted } from '../../protocol/errors.js';
import type { BrokerTarget } from './broker-target.js';
import { ConnectionClosed, disconnect, type Connection, type ConnectOptions } from './connection.js';
import { connectWithin, reconnect } from './reconnect.js';
import type { TransportTimings } from './timings.js';

/** Where a link is: opening its first connection, up, getting a lost one back, or closed for good. */
export type LinkState = 'opening' | 'up' | 'restoring' | 'closed';

export const CONNECTION_INTERRUPTED = 'the connection to the broker was interrupted';

export interface LinkOptions {
  target: BrokerTarget;
  connect: Omit<ConnectOptions, 'deliver'>;
  /** Incoming PUBLISHes, with the number of the link's connection they came on (see isCurrent). */
  deliver?: (packet: IPublishPacket, ack: () => void, connection: number) => void;
  /**
   * Runs on each new connection before the link counts as up: subscriptions and records. When the
   * connection closes meanwhile (ConnectionClosed) while the link gets a connection back, it
   * connects again and runs this again; on the first connection, open() fails instead.
   */
  attach?: (connection: Connection, again: boolean) => Promise<void>;
  /** What the link is for, in the error when it cannot get back: "sending into pipe 'x'". */
  doing: string;
  timings: TransportTimings;
  /** Getting a connection back stops once this aborts. */
  signal?: AbortSignal;
}

export interface LinkEvents {
  /**
   * The connection went, not by close() or reopen(): says why, for down(); or null to let it go,
   * which closes the link. Without this hook the link always gets it back.
   */
  lost?(client: MqttClient): string | null;
  /** The link is getting a connection back; `why` says what happened to the last one. */
  down?(why: string): void;
  /** Back, after down(). */
  up?(): void;
  /** Could not get back within the reconnect window, or attach() failed: the link is closed. */
  failed?(error: unknown): void;
}

/**
 * Connection numbers are unique in the process, not per link: a delivery that waited while its
 * link was abandoned must never pass for one from a later link's connection (the same messages,
 * redelivered there and acknowledged, would be written twice).
 */
let lastConnectionNumber = 0;
const nextConnectionNumber = () => ++lastConnectionNumber;

/**
 * One MQTT connection that comes back: after a loss it connects again (within the reconnect
 * window) and runs `attach` again, so that what rides on it (subscriptions, records) is restored.
 * It knows nothing of pipes; the sender, the receiver's probe and its mailbox each have one.
 */
export class Link {
  private linkState: LinkState = 'opening';
  private current: MqttClient | null = null;
  /** The current connection's number; a new one when it closes too, so that nothing from a closed one is current. */
  private connectionNumber = nextConnectionNumber();
  private restoring: Promise<void> | null = null;

  constructor(
    private readonly options: LinkOptions,
    private readonly events: LinkEvents = {},
  ) {}

  get state(): LinkState {
    return this.linkState;
  }

  /** The connection; the latest one while the link is getting one back. */
  get client(): MqttClient {
    if (this.current === null) throw new ConnectionClosed();
    return this.current;
  }

  /** Up, and its connection open. */
  get connected(): boolean {
    return this.linkState === 'up' && this.current?.connected === true;
  }

  /** Whether a delivery numbered `connection` came on the connection the link has now. */
  isCurrent(connection: number): boolean {
    return connection === this.connectionNumber && this.linkState !== 'closed';
  }

  /** The first connection, and attach(); fails as connect() does, or with ConnectionClosed. */
  async open(): Promise<Connection> {
    try {
      const connection = await this.connectOnce(false);
      await this.options.attach?.(connection, false);
      if (this.linkState === 'closed') throw new ConnectionClosed();
      this.linkState = 'up';
      if (!connection.client.connected) this.onClose(connection.client, this.connectionNumber);
      return connection;
    } catch (error) {
      this.linkState = 'closed';
      this.current?.end(true);
      throw error;
    }
  }

  /** Resolves once the link is up again or closed (at once when it is not getting a connection back). */
  settled(): Promise<void> {
    return this.restoring ?? Promise.resolve();
  }

  /**
   * Closes the connection cleanly (DISCONNECT, so no Will fires) and opens a new one, which makes
   * the broker send again what was not acknowledged (MQTT-4.4.0-1).
   */
  reopen(why: string): void {
    if (this.linkState !== 'up' || this.current === null) return;
    const closing = disconnect(this.current);
    this.startRestoring(why, closing);
  }

  /** Closes for good: `last` runs on the connection first when it is open; then DISCONNECT. */
  async close(last?: (client: MqttClient) => Promise<void>): Promise<void> {
    const wasOpen = this.linkState !== 'closed';
    this.linkState = 'closed';
    this.connectionNumber = nextConnectionNumber();
    const client = this.current;
    if (!wasOpen || client === null || !client.connected) return;
    await last?.(client).catch(() => {});
    await disconnect(client);
  }

  /** Drops the connection without getting it back (a claim that another client won). */
  abandon(): void {
    this.linkState = 'closed';
    this.connectionNumber = nextConnectionNumber();
    this.current?.end(true);
  }

  private stopped(): boolean {
    return this.linkState === 'closed' || this.options.signal?.aborted === true;
  }

  private async connectOnce(again: boolean): Promise<Connection> {
    const { target, timings, deliver, doing } = this.options;
    const number = (this.connectionNumber = nextConnectionNumber());
    const options: ConnectOptions = { ...this.options.connect };
    if (deliver !== undefined) options.deliver = (packet, ack) => deliver(packet, ack, number);
    const connection = again
      ? await reconnect(target, options, doing, () => this.stopped(), timings)
      : await connectWithin(target, options, () => this.stopped(), timings);
    const { client } = connection;
    if (this.linkState === 'closed') {
      client.end(true);
      throw interrupted();
    }
    this.current = client;
    client.on('close', () => this.onClose(client, number));
    return connection;
  }

  private onClose(client: MqttClient, number: number): void {
    if (client !== this.current || this.linkState === 'closed') return;
    if (number === this.connectionNumber) this.connectionNumber = nextConnectionNumber();
    // While opening or getting back, the attempt under way sees the close itself.
    if (this.linkState !== 'up') return;
    const why = this.events.lost === undefined ? CONNECTION_INTERRUPTED : this.events.lost(client);
    if (why === null) {
      this.linkState = 'closed';
      return;
    }
    this.startRestoring(why, Promise.resolve());
  }

  private startRestoring(why: string, after: Promise<void>): void {
    this.linkState = 'restoring';
    this.connectionNumber = nextConnectionNumber();
    this.events.down?.(why);
    this.restoring = after.then(() => this.getBack()).finally(() => (this.restoring = null));
  }

  /** Connects and attaches again, until a connection stays open through attach(). */
  private async getBack(): Promise<void> {
    try {
      for (;;) {
        try {
          const connection = await this.connectOnce(true);
          await this.options.attach?.(connection, true);
          if (this.linkState === 'closed') return;
          // Closed again just as it came back: once more.
          if (connection.client.connected) break;
        } catch (error) {
          if (!(error instanceof ConnectionClosed) || this.stopped()) throw error;
        }
      }
      this.linkState = 'up';
      this.events.up?.();
    } catch (error) {
      if (this.linkState === 'closed') return;
      this.linkState = 'closed';
      this.events.failed?.(error);
    }
  }
}
