import type { Aedes, Client, PublishPacket } from 'aedes';
import { refOf } from './queued-layout.js';

type Done = (error?: Error | null) => void;

/**
 * A store that can queue a publish's copies without holding up their delivery while they are
 * written, and say once they are written (pipe-store.ts). `ref` is the publish's brokerId:counter.
 */
export interface DeferredDurability {
  /** The copies of publish `ref` about to be queued are delivered while they are written. */
  deferDurability(ref: string): void;
  /** Settles once the copies of `ref` queued since `deferDurability` are written or acknowledged; fails if neither. */
  durable(ref: string): Promise<void>;
  /** How the store tells a session whose client is connected (and may acknowledge a copy before it is written). */
  connectedSessions(isConnected: (session: string) => boolean): void;
}

export const canDeferDurability = (store: unknown): store is DeferredDurability =>
  (['deferDurability', 'durable', 'connectedSessions'] as const).every(
    (method) => typeof (store as Partial<DeferredDurability>)[method] === 'function',
  );

/** The counter aedes numbers its publishes with, which a packet may bring already set. */
type Numbering = { id: string; counter: number };
type Publish = (packet: PublishPacket, client: Client | null, done: Done) => void;

/** A client's QoS 1 publish whose answer (aedes's PUBACK, or its refusal) waits for those before it. */
interface Pending {
  state: 'storing' | 'decided';
  /** Once decided: null to acknowledge it, or why not. */
  refusal: Error | null;
  answer: Done;
}

/** A QoS 1 PUBLISH as it came from a client (a Will has no message id, and the broker's own messages no client). */
const isClientQos1Publish = (client: Client | null, packet: PublishPacket): client is Client =>
  client !== null && packet.cmd === 'publish' && packet.qos === 1 && typeof packet.messageId === 'number';

/**
 * aedes acknowledges a QoS 1 PUBLISH (PUBACK) before it publishes it, so before the store has it:
 * a broker killed in between lost frames their senders took as delivered. This publishes such a
 * packet as the last step of its authorization, and lets aedes go on (to its PUBACK) only once
 * that publish is done: every copy queued for a persistent session is in the store, the retained
 * copy too. A store that defers durability delivers the copies while it writes them; the PUBACK
 * then waits until each is written or acknowledged by its session. aedes's own publish of the
 * packet, after its PUBACK, is then let through as done. A publish that fails is refused: aedes
 * closes the connection with no PUBACK, and the sender sends again. A client's PUBACKs go out in
 * the order its PUBLISHes came (MQTT 3.1.1, 4.6), and so do refusals (which close the
 * connection): the publishes admitted before a refused one are acknowledged first, as when aedes
 * acknowledged at once.
 */
export class AckOnceStored {
  private publish: Publish | null = null;
  private numbering: Numbering | null = null;
  /** Packets published already, whose second publish (aedes's, after its PUBACK) is a no-op. */
  private readonly published = new WeakSet<object>();
  private readonly pending = new WeakMap<Client, Pending[]>();

  /** `store`, when it can, delivers a publish while it writes it, and the PUBACK waits for the write. */
  constructor(private readonly store: DeferredDurability | null = null) {}

  /** Takes over `aedes.publish`; after every other wrapper of it, so that the early publish goes through them. */
  follow(aedes: Aedes): void {
    const publish = aedes.publish.bind(aedes) as unknown as Publish;
    this.publish = publish;
    this.numbering = aedes as unknown as Numbering;
    const clients = (aedes as unknown as { clients: Record<string, unknown> }).clients;
    this.store?.connectedSessions((session) => clients[session] !== undefined);
    aedes.publish = ((packet: PublishPacket, client: Client | null | Done, done?: Done) => {
      // Also called as publish(packet, done).
      const [from, then] = typeof client === 'function' ? [null, client] : [client, done];
      if (this.published.has(packet)) {
        this.published.delete(packet);
        setImmediate(() => then?.(null));
        return;
      }
      publish(packet, from, then ?? (() => {}));
    }) as unknown as Aedes['publish'];
  }

  /**
   * Every check of `packet` is done (`refusal` null: it passed). A client's QoS 1 publish that
   * passed is published now; its answer goes back once it is stored, after those before it.
   */
  authorized(client: Client | null, packet: PublishPacket, refusal: Error | null, answer: Done): void {
    if (this.publish === null || !isClientQos1Publish(client, packet)) return answer(refusal);
    const entry: Pending = { state: 'storing', refusal: null, answer };
    const queue = this.pending.get(client) ?? [];
    this.pending.set(client, queue);
    queue.push(entry);
    const decided = (outcome: Error | null) => {
      entry.state = 'decided';
      entry.refusal = outcome;
      answerInOrder(queue);
    };
    if (refusal !== null) return decided(refusal);
    const publish = this.publish;
    const ref = this.deferDurability(packet);
    // On the next turn, as aedes published after its PUBACK's write.
    setImmediate(() =>
      publish(packet, client, (error) => {
        if (!error) this.published.add(packet);
        const written = ref === null ? Promise.resolve() : this.store!.durable(ref);
        written.then(
          () => decided(error ?? null),
          (failed: Error) => decided(error ?? failed),
        );
      }),
    );
  }

  /**
   * Numbers `packet` as aedes would (aedes keeps a number a packet brings), so that the store
   * knows it as the publish whose copies it need not write before they are delivered.
   */
  private deferDurability(packet: PublishPacket): string | null {
    if (this.store === null || this.numbering === null) return null;
    const numbered = packet as PublishPacket & { brokerId?: string; brokerCounter?: number };
    numbered.brokerId = this.numbering.id;
    numbered.brokerCounter = ++this.numbering.counter;
    const ref = refOf(numbered);
    this.store.deferDurability(ref);
    return ref;
  }
}

/** Answers the decided publishes at the head of a client's queue, up to the first still being stored. */
function answerInOrder(queue: Pending[]): void {
  let acknowledged = false;
  while (queue[0]?.state === 'decided') {
    const next = queue[0];
    // A refusal closes the connection: the PUBACKs just written leave on the next tick (mqtt-packet
    // corks the stream until then), so it waits for them, or they would be lost with it.
    if (next.refusal !== null && acknowledged) return void setImmediate(() => answerInOrder(queue));
    queue.shift();
    next.answer(next.refusal);
    acknowledged ||= next.refusal === null;
  }
}
