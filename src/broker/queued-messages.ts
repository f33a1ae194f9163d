import type { Level } from 'level';
import { decodePacketRecord, parseKey, QUEUED, rangeUnder } from './queued-layout.js';
import { messageCost, userOfSession, type StoredBytes } from './stored-bytes.js';

/** The persistence calls that add and remove messages queued for sessions (aedes-persistence's API). */
interface QueueingPersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<unknown>;
  outgoingEnqueueCombi(subs: { clientId: string }[] | null, packet: Packet): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: Packet): Promise<Packet | undefined>;
}

interface Packet {
  topic?: string;
  payload?: Buffer | string;
}

const sizeOf = (packet: Packet | undefined): number =>
  packet?.payload === undefined ? 0 : Buffer.byteLength(packet.payload);

const costOf = (packet: Packet): number => messageCost(packet.topic ?? '', packet.payload);

/**
 * The messages queued in persistent sessions (what waits in each pipe's mailbox), counted from the
 * store at start and then kept as the store adds and removes them: per session for the metrics,
 * and in bytes per user for the quota.
 */
export class QueuedMessages {
  private readonly sessions = new Map<string, number>();
  private readonly sessionBytes = new Map<string, number>();
  private readonly userBytes = new Map<string, number>();

  private constructor(private readonly ledger: StoredBytes) {}

  /** Counts what the store holds now, then follows `persistence`; `ledger` hears of every change. */
  static async follow(persistence: unknown, db: Level<string, string>, ledger: StoredBytes): Promise<QueuedMessages> {
    const queued = new QueuedMessages(ledger);
    // The packet records only: they hold each payload's length, so no payload is read.
    for await (const [key, value] of db.iterator<string, Buffer>({ ...rangeUnder(QUEUED), valueEncoding: 'buffer' })) {
      const { fields, payloadBytes } = decodePacketRecord(value);
      const topic = typeof fields.topic === 'string' ? fields.topic : '';
      queued.add(parseKey(key).session, 1, payloadBytes ?? 0, messageCost(topic, payloadBytes ?? 0));
    }
    queued.wrap(persistence as QueueingPersistence);
    return queued;
  }

  /** Messages waiting per session; sessions with none are left out. */
  bySession(): ReadonlyMap<string, number> {
    return this.sessions;
  }

  /** Payload bytes waiting in `session`. */
  bytesOf(session: string): number {
    return this.sessionBytes.get(session) ?? 0;
  }

  /** Payload bytes waiting per user ('' for sessions outside any user's namespace). */
  bytesByUser(): ReadonlyMap<string, number> {
    return this.userBytes;
  }

  private add(session: string, messages: number, bytes: number, cost: number, payload?: unknown): void {
    const count = (this.sessions.get(session) ?? 0) + messages;
    const sessionBytes = (this.sessionBytes.get(session) ?? 0) + bytes;
    if (count > 0) {
      this.sessions.set(session, count);
      this.sessionBytes.set(session, Math.max(0, sessionBytes));
    } else {
      this.sessions.delete(session);
      this.sessionBytes.delete(session);
    }
    const user = userOfSession(session);
    this.userBytes.set(user, Math.max(0, (this.userBytes.get(user) ?? 0) + bytes));
    this.ledger.change(user, cost, payload);
  }

  private wrap(persistence: QueueingPersistence): void {
    const enqueue = persistence.outgoingEnqueue.bind(persistence);
    const enqueueCombi = persistence.outgoingEnqueueCombi.bind(persistence);
    const clear = persistence.outgoingClearMessageId.bind(persistence);
    persistence.outgoingEnqueue = async (sub, packet) => {
      const result = await enqueue(sub, packet);
      this.add(sub.clientId, 1, sizeOf(packet), costOf(packet), packet.payload);
      return result;
    };
    persistence.outgoingEnqueueCombi = async (subs, packet) => {
      const result = await enqueueCombi(subs, packet);
      // A session with two filters that match gets one copy: the store keys it by session and message.
      for (const session of new Set((subs ?? []).map((sub) => sub.clientId)))
        this.add(session, 1, sizeOf(packet), costOf(packet), packet.payload);
      return result;
    };
    persistence.outgoingClearMessageId = async (client, packet) => {
      const cleared = await clear(client, packet);
      // Nothing was queued under that id (already cleared): nothing to count.
      if (cleared !== undefined) this.add(client.id, -1, -sizeOf(cleared), -costOf(cleared));
      return cleared;
    };
  }
}
