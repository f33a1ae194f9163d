import type { Readable, Writable } from 'node:stream';
import type { Aedes, Client } from 'aedes';

/** The retained messages being sent to one client, and what waits for them. */
interface Sending {
  streams: number;
  waiting: (() => void)[];
}

/**
 * aedes answers a SUBSCRIBE and goes on to the client's next packets while it still reads the
 * retained messages for it from the store, so a publish of the client's that comes back to it
 * could overtake them. skypipe's clients publish to a topic of their own after subscribing and
 * take its return as "everything retained has come" (Mosquitto, NATS and RabbitMQ send retained
 * messages before anything later): a record missed that way is a pipe misread. This holds each
 * publish of a client until the retained messages of its SUBSCRIBEs before it are written.
 */
export class RetainedFirst {
  private subscribing: Client | null = null;
  private readonly sending = new WeakMap<Client, Sending>();

  /** Watches the retained reads of `aedes` from `store`, its persistence. */
  follow(aedes: Aedes, store: object): void {
    // aedes emits 'subscribe' and, in the same turn, opens the retained stream for that SUBSCRIBE.
    aedes.on('subscribe', (_subscriptions, client) => {
      this.subscribing = client;
      queueMicrotask(() => (this.subscribing = null));
    });
    const persistence = store as { createRetainedStreamCombi(patterns: string[]): Readable };
    const open = persistence.createRetainedStreamCombi.bind(persistence);
    persistence.createRetainedStreamCombi = (patterns) => {
      const stream = open(patterns);
      const client = this.subscribing;
      this.subscribing = null;
      if (client !== null) this.track(client, stream);
      return stream;
    };
  }

  /** Calls `then` once the retained messages of `client`'s SUBSCRIBEs so far are written (at once if none are left). */
  afterRetained(client: Client | null, then: () => void): void {
    const sending = client === null ? undefined : this.sending.get(client);
    if (sending === undefined) return then();
    sending.waiting.push(then);
  }

  /** aedes pipes the stream into the writer that sends each message: that writer's end is the point. */
  private track(client: Client, stream: Readable): void {
    const sending = this.sending.get(client) ?? { streams: 0, waiting: [] };
    this.sending.set(client, sending);
    sending.streams += 1;
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      client.removeListener('close', finished);
      sending.streams -= 1;
      if (sending.streams > 0) return;
      this.sending.delete(client);
      for (const then of sending.waiting.splice(0)) then();
    };
    const pipe = stream.pipe.bind(stream);
    stream.pipe = <T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T => {
      (destination as unknown as Writable).once('finish', finished);
      return pipe(destination, options);
    };
    // A stream that fails ends nothing it was piped into.
    stream.once('error', finished);
    stream.once('close', () => {
      if (!stream.readableEnded) finished();
    });
    client.once('close', finished);
  }
}
