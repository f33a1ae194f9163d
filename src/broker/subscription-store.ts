import type { Client } from 'aedes';

interface SubscriptionStore {
  addSubscriptions(client: Client, subscriptions: { topic: string }[]): Promise<void>;
}

/**
 * aedes stores a persistent session's subscriptions once per topic of a SUBSCRIBE, each time the
 * packet's whole list, refused topics included: work that grows with the square of the count, and a
 * refused topic kept in the session, where the store queues matching messages for the client while
 * it is away. This stores each packet's list once, with only the topics `granted` lets it hold.
 */
export function storeGrantedSubscriptions(
  persistence: unknown,
  granted: (client: Client, topic: string) => boolean,
): void {
  const store = persistence as SubscriptionStore;
  const addSubscriptions = store.addSubscriptions.bind(store);
  // By packet: aedes hands every call for one SUBSCRIBE the same list.
  const stored = new WeakMap<object, Promise<void>>();
  store.addSubscriptions = (client, subscriptions) => {
    let done = stored.get(subscriptions);
    if (done === undefined) {
      const kept = subscriptions.filter(({ topic }) => granted(client, topic));
      done = kept.length === 0 ? Promise.resolve() : addSubscriptions(client, kept);
      stored.set(subscriptions, done);
    }
    return done;
  };
}
