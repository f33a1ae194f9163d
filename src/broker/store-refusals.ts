import type { Aedes, Client, PublishPacket } from 'aedes';
import { StoreFailing, type StoreHealth } from './store-health.js';

/** Wills held while the store fails, at most: past it the oldest are dropped (and counted in the log). */
export const MAX_HELD_WILLS = 10_000;

/**
 * What the broker does with publishes while its store fails: it refuses every one it would have
 * to store (QoS 1 and 2, retained), telling the client why before the connection closes, and
 * holds the Wills of clients that go away meanwhile, to publish them once the store takes writes
 * again: a receiver then learns that a sender is gone instead of waiting for it forever. The
 * refusals close connections with a StoreFailing error, which the log keeps out of its warnings:
 * the failure itself is logged once.
 */
export class StoreRefusals {
  private held: PublishPacket[] = [];
  private dropped = 0;

  constructor(
    private readonly health: StoreHealth,
    private readonly tell: (client: Client, reason: string, packet: PublishPacket, done: () => void) => void,
  ) {}

  /** Refuses `packet` (and calls back with the reason) if the store cannot take it; false if it may go on. */
  refuse(client: Client, packet: PublishPacket, callback: (error?: Error | null) => void): boolean {
    const reason = this.health.refusal();
    if (reason === null || (packet.qos === 0 && !packet.retain)) return false;
    // aedes authorizes a Will as its client goes away, with the client's `will` still set to it.
    if ((client as unknown as { will?: unknown }).will === packet) {
      this.held.push(packet);
      if (this.held.length > MAX_HELD_WILLS) {
        this.held.shift();
        this.dropped += 1;
      }
      callback(new StoreFailing(reason));
    } else this.tell(client, reason, packet, () => callback(new StoreFailing(reason)));
    return true;
  }

  /** Once the store takes writes again: publishes the held Wills, in the order their clients went away. */
  publishHeldWills(aedes: Aedes): { published: number; dropped: number } {
    const wills = this.held;
    const counts = { published: wills.length, dropped: this.dropped };
    this.held = [];
    this.dropped = 0;
    for (const will of wills) aedes.publish(will, () => {});
    return counts;
  }
}
