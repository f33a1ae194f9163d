import type { Aedes, Client, PublishPacket } from 'aedes';

type Done = (error?: Error | null) => void;
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
 * copy too. aedes's own publish of the packet, after its PUBACK, is then let through as done.
 * A publish that fails is refused: aedes closes the connection with no PUBACK, and the sender
 * sends again. A client's PUBACKs go out in the order its PUBLISHes came (MQTT 3.1.1, 4.6), and
 * so do refusals (which close the connection): the publishes admitted before a refused one are
 * acknowledged first, as when aedes acknowledged at once.
 */
export class AckOnceStored {
  private publish: Publish | null = null;
  /** Packets published already, whose second publish (aedes's, after its PUBACK) is a no-op. */
  private readonly published = new WeakSet<object>();
  private readonly pending = new WeakMap<Client, Pending[]>();

  /** Takes over `aedes.publish`; after every other wrapper of it, so that the early publish goes through them. */
  follow(aedes: Aedes): void {
    const publish = aedes.publish.bind(aedes) as unknown as Publish;
    this.publish = publish;
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
    // On the next turn, as aedes published after its PUBACK's write.
    setImmediate(() =>
      publish(packet, client, (error) => {
        if (!error) this.published.add(packet);
        decided(error ?? null);
      }),
    );
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
