import type { Aedes, Client, PublishPacket } from 'aedes';
import { describeBytes } from '../protocol/describe-bytes.js';
import { HEADER_BYTES, readFrame } from '../protocol/frame.js';
import { pipeTopicOf, topicRoot } from '../protocol/topics.js';
import type { StoreAccounting } from './store-accounting.js';
import { messageCost, retainedCost, type Reservation } from './stored-bytes.js';

/** The most of a quota kept for the records through which receivers drain a pipe. */
export const MAX_DRAIN_ROOM = 64 * 1024;

/** Why a publish or a Will does not fit, and where to say so (the topic root of its pipe). */
export interface QuotaRefusal {
  reason: string;
  root: string;
}

type Packet = Pick<PublishPacket, 'topic' | 'payload' | 'qos' | 'retain'>;
type Done = (error?: Error | null) => void;

/**
 * The publishes a receiver needs to drain a pipe and leave it clean: its presence, the progress of
 * each stream, the mailbox marker, and the sync frames it sends through its own mailbox. They may
 * use the whole quota; everything else stops where the room kept for them starts, so that a pipe
 * filled to the quota can still be received.
 */
function drains(packet: Packet): boolean {
  const kind = pipeTopicOf(packet.topic)?.kind;
  if (kind === 'presence' || kind === 'progress' || kind === 'marker') return packet.retain;
  if (kind !== 'data' || packet.payload.length !== HEADER_BYTES) return false;
  const frame = readFrame(packet.payload);
  return !(frame instanceof Error) && frame.type === 'sync';
}

/**
 * `--max-bytes-per-user`, held at admission: a publish gets in only if what the user's data takes
 * in the store (queued copies, retained messages, Wills, QoS 2 messages awaiting release), what is
 * reserved for publishes admitted but not yet stored (aedes acknowledges before it stores), and
 * what this one will add, fit the quota. A publish that adds nothing (clearing a record, rewriting
 * one within its slot, a message nobody stores) always gets in.
 */
export class Quota {
  /** Reservations of publishes not yet under way, by connection: released if it closes first. */
  private readonly admitted = new WeakMap<Client, Set<Reservation>>();
  private readonly closed = new WeakSet<Client>();
  private readonly drainRoom: number;

  constructor(
    readonly limit: number,
    private readonly store: Omit<StoreAccounting, 'queued'>,
  ) {
    this.drainRoom = Math.min(MAX_DRAIN_ROOM, Math.floor(limit / 8));
  }

  /** The bytes a publish adds to the store: a copy per persistent session it is queued for, and its retained copy. */
  costOf(packet: Packet): number {
    const { records, subscriptions } = this.store;
    const copies = packet.qos > 0 ? subscriptions.sessionsMatching(packet.topic) : 0;
    const queued = copies * messageCost(packet.topic, packet.payload);
    // QoS 2: the store keeps the message until the client releases it.
    const held = packet.qos === 2 ? messageCost(packet.topic, packet.payload) : 0;
    const retained = packet.retain
      ? retainedCost(packet.topic, packet.payload) - records.retainedCostOf(packet.topic)
      : 0;
    return queued + held + retained;
  }

  /** Admits `client`'s publish as `user` and reserves its bytes, or says why not (synchronously: aedes keeps a client's packets in order). */
  admitPublish(client: Client, user: string, packet: Packet): QuotaRefusal | null {
    const cost = this.costOf(packet);
    if (cost <= 0) return null;
    const refusal = this.refusal(user, cost, drains(packet), packet.topic);
    if (refusal !== null) return refusal;
    this.reserve(client, user, cost, packet.payload);
    return null;
  }

  /** Admits the Will of a connecting client, which the store keeps while it is connected; an empty one always gets in. */
  admitWill(client: Client, user: string, will: Packet): QuotaRefusal | null {
    if (will.payload.length === 0) return null;
    const cost = messageCost(will.topic, will.payload);
    const refusal = this.refusal(user, cost, false, will.topic);
    if (refusal === null) this.reserve(client, user, cost, will.payload);
    return refusal;
  }

  /** Releases each publish's reservation once aedes is done with it (stored, or not). */
  follow(aedes: Aedes): void {
    const publish = aedes.publish.bind(aedes) as unknown as (packet: object, client: Client | null, done: Done) => void;
    const { ledger } = this.store;
    aedes.publish = ((packet: PublishPacket, client: Client | null | Done, done?: Done) => {
      // Also called as publish(packet, done).
      const [from, then] = typeof client === 'function' ? [null, client] : [client, done];
      const reservation = ledger.reservationOf(packet.payload);
      reservation?.publishing();
      publish(packet, from, (error) => {
        reservation?.release();
        then?.(error);
      });
    }) as unknown as Aedes['publish'];
  }

  private refusal(user: string, cost: number, drain: boolean, topic: string): QuotaRefusal | null {
    const { ledger } = this.store;
    const ceiling = drain ? this.limit : this.limit - this.drainRoom;
    const held = ledger.totalOf(user);
    if (held + cost <= ceiling) return null;
    const kept = drain ? '' : ` (the last ${describeBytes(this.drainRoom)} of it kept for receivers' records)`;
    return {
      reason: `user '${user}' has ${describeBytes(held)} stored, and ${describeBytes(cost)} more is over its quota of ${describeBytes(this.limit)}${kept}; receive some, or ask for a larger quota`,
      root: pipeTopicOf(topic)?.root ?? topicRoot(undefined, user)!,
    };
  }

  private reserve(client: Client, user: string, cost: number, payload: Buffer | string): void {
    // Payloads from the wire are buffers, the key of a reservation; only the broker's own are strings.
    if (typeof payload === 'string') return;
    const reservation = this.store.ledger.reserve(user, cost, payload);
    if (this.closed.has(client)) {
      // Authorized after its connection closed: a Will is published at once; anything else never is.
      setImmediate(() => reservation.stillAdmitted && reservation.release());
      return;
    }
    let pending = this.admitted.get(client);
    if (pending === undefined) {
      const created = new Set<Reservation>();
      this.admitted.set(client, (pending = created));
      // A publish whose connection closed before aedes published it never will: nothing to store.
      client.conn.once('close', () => {
        this.closed.add(client);
        for (const open of created) if (open.stillAdmitted) open.release();
        created.clear();
      });
    }
    for (const open of pending) if (!open.stillAdmitted) pending.delete(open);
    pending.add(reservation);
  }
}
