import type { Level } from 'level';
import msgpack from 'msgpack-lite';

/** The persistence calls that add and remove messages queued for sessions (aedes-persistence's API). */
interface QueueingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<unknown>;
  outgoingEnqueueCombi(subs: { clientId: string }[] | null, packet: Packet): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: Packet): Promise<Packet | undefined>;
}

interface Packet {
  payload?: Buffer | string;
}

const OUTGOING = 'outgoing:';

const sizeOf = (packet: Packet | undefined): number => (packet?.payload === undefined ? 0 : Buffer.byteLength(packet.payload));

/** The user a session belongs to: the part of its id before ':' (access.ts binds client ids so). */
const userOf = (session: string): string => session.slice(0, Math.max(0, session.indexOf(':')));

/**
 * Bytes of messages queued in persistent sessions, kept as the store adds and removes them (and
 * read from it at start): what waits in each user's pipes, for the per-user quota.
 */
export class QueuedBytes {
  private readonly byUser = new Map<string, number>();

  /** Counts what the store holds now, then follows `persistence`. */
  static async follow(persistence: unknown, db: Level<string, string>): Promise<QueuedBytes> {
    const queued = new QueuedBytes();
    for await (const [key, value] of db.iterator<string, Buffer>({ gte: OUTGOING, lt: 'outgoing;', valueEncoding: 'buffer' })) {
      const session = decodeURIComponent(key.slice(OUTGOING.length, key.indexOf(':', OUTGOING.length)));
      queued.add(session, sizeOf(msgpack.decode(value) as Packet));
    }
    queued.wrap(persistence as QueueingPersistence);
    return queued;
  }

  /** Bytes waiting for `user`'s sessions. */
  of(user: string): number {
    return this.byUser.get(user) ?? 0;
  }

  /** Bytes waiting per user ('' for sessions outside any user's namespace). */
  all(): ReadonlyMap<string, number> {
    return this.byUser;
  }

  private add(session: string, bytes: number): void {
    const user = userOf(session);
    this.byUser.set(user, Math.max(0, (this.byUser.get(user) ?? 0) + bytes));
  }

  private wrap(persistence: QueueingPersistence): void {
    const enqueue = persistence.outgoingEnqueue.bind(persistence);
    const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
    const clear = persistence.outgoingClearMessageId.bind(persistence);
    persistence.outgoingEnqueue = async (sub, packet) => {
      const result = await enqueue(sub, packet);
      this.add(sub.clientId, sizeOf(packet));
      return result;
    };
    persistence.outgoingEnqueueCombi = async (subs, packet) => {
      const result = await enqueueCombi(subs, packet);
      for (const sub of subs ?? []) this.add(sub.clientId, sizeOf(packet));
      return result;
    };
    persistence.outgoingClearMessageId = async (client, packet) => {
      const cleared = await clear(client, packet);
      this.add(client.id, -sizeOf(cleared));
      return cleared;
    };
  }
}
