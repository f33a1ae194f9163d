import { userOfTopic } from '../protocol/topics.js';

/**
 * What the store spends on a message beyond its payload and topic, about: its keys (session,
 * broker id, counter) and the packet's other fields (a Will, a retained message: one record; a
 * queued frame: its packet record, its payload's key and its message id's record, a little more).
 */
export const STORE_OVERHEAD = 256;

/**
 * The least payload a retained message counts: a record (presence, progress, a sender's record)
 * rewritten within it costs nothing more, so a full quota never stops a record from being updated.
 */
export const RECORD_SLOT = 512;

const lengthOf = (value: Buffer | string | undefined): number => (value === undefined ? 0 : Buffer.byteLength(value));

/** What one stored copy of a message counts; `payload` may be given as its length. */
export function messageCost(topic: string, payload: Buffer | string | number | undefined): number {
  if (typeof payload === 'number') return lengthOf(topic) + payload + STORE_OVERHEAD;
  return lengthOf(topic) + lengthOf(payload) + STORE_OVERHEAD;
}

/** What a retained message counts; 0 for an empty one, which deletes the topic's. */
export function retainedCost(topic: string, payload: Buffer | string | undefined): number {
  const length = lengthOf(payload);
  return length === 0 ? 0 : lengthOf(topic) + Math.max(length, RECORD_SLOT) + STORE_OVERHEAD;
}

/** The user a session belongs to: the part of its id before ':' (access.ts binds client ids so); '' for none. */
export const userOfSession = (session: string): string => session.slice(0, Math.max(0, session.indexOf(':')));

/** The user whose namespace holds a topic; '' for a topic outside every namespace. */
export const ownerOfTopic = (topic: string): string => userOfTopic(topic) ?? '';

/**
 * Bytes set aside for a publish admitted under the quota and not yet stored (aedes acknowledges a
 * publish before it stores it): they count against the user until the store has them, or until
 * the publish is over.
 */
export class Reservation {
  private state: 'admitted' | 'publishing' | 'released' = 'admitted';

  constructor(
    private readonly ledger: StoredBytes,
    readonly user: string,
    private remaining: number,
  ) {}

  /** Moves up to `bytes` of the reservation into what is stored; returns how many it moved. */
  take(bytes: number): number {
    const taken = Math.min(Math.max(0, bytes), this.remaining);
    this.remaining -= taken;
    return taken;
  }

  /** The publish is under way: only its end releases what is left. */
  publishing(): void {
    if (this.state === 'admitted') this.state = 'publishing';
  }

  /** Whether the publish never got under way (its connection closed first). */
  get stillAdmitted(): boolean {
    return this.state === 'admitted';
  }

  release(): void {
    if (this.state === 'released') return;
    this.state = 'released';
    this.ledger.unreserve(this.user, this.take(this.remaining));
  }
}

/**
 * Every byte the store holds for each user: messages queued for its sessions, its retained
 * messages, its sessions' Wills, QoS 2 messages waiting for their release; and what is reserved for
 * publishes on their way to the store. The quota is checked against their sum.
 */
export class StoredBytes {
  private readonly stored = new Map<string, number>();
  private readonly reserved = new Map<string, number>();
  /** By payload: aedes copies a packet on its way to the store, but keeps its payload. */
  private readonly reservations = new WeakMap<object, Reservation>();

  /** Bytes stored per user ('' for what belongs to no user). */
  byUser(): ReadonlyMap<string, number> {
    return this.stored;
  }

  storedOf(user: string): number {
    return this.stored.get(user) ?? 0;
  }

  /** Stored and reserved. */
  totalOf(user: string): number {
    return this.storedOf(user) + (this.reserved.get(user) ?? 0);
  }

  /** The store added (or, negative, removed) `bytes` of `user`'s, for the message with `payload` if known. */
  change(user: string, bytes: number, payload?: unknown): void {
    const sum = (this.stored.get(user) ?? 0) + bytes;
    if (sum > 0) this.stored.set(user, sum);
    else this.stored.delete(user);
    const reservation = typeof payload === 'object' && payload !== null ? this.reservations.get(payload) : undefined;
    if (reservation !== undefined && reservation.user === user && bytes > 0)
      this.unreserve(user, reservation.take(bytes));
  }

  /** Sets `bytes` aside for the message with `payload`, until the store has them or it is released. */
  reserve(user: string, bytes: number, payload: object): Reservation {
    const reservation = new Reservation(this, user, bytes);
    this.reserved.set(user, (this.reserved.get(user) ?? 0) + bytes);
    this.reservations.set(payload, reservation);
    return reservation;
  }

  reservationOf(payload: unknown): Reservation | undefined {
    return typeof payload === 'object' && payload !== null ? this.reservations.get(payload) : undefined;
  }

  /** Called by a reservation for what the store did not take. */
  unreserve(user: string, bytes: number): void {
    const left = (this.reserved.get(user) ?? 0) - bytes;
    if (left > 0) this.reserved.set(user, left);
    else this.reserved.delete(user);
  }
}
