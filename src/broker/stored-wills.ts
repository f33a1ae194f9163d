import { Readable } from 'node:stream';

/** A Will as the store keeps it: the packet, with the session it belongs to. */
export interface StoredWill {
  clientId?: string;
  brokerId?: string;
  topic: string;
}

interface WillStore {
  streamWill(brokers: unknown): AsyncIterable<StoredWill>;
  delWill(client: { id: string; brokerId?: string }): Promise<unknown>;
}

/**
 * Aedes publishes the Wills that a broker which died had stored, with no client attached, and so
 * past the rules that bind each client to its namespace. This screens them as they are read: a Will
 * that `allowed` refuses is deleted, never published, and reported.
 */
export function screenStoredWills(
  persistence: unknown,
  allowed: (will: StoredWill) => boolean,
  dropped: (will: StoredWill) => void,
): void {
  const store = persistence as WillStore;
  const streamWill = store.streamWill.bind(store);
  store.streamWill = (brokers) =>
    Readable.from(
      (async function* () {
        for await (const will of streamWill(brokers)) {
          if (allowed(will)) {
            yield will;
            continue;
          }
          dropped(will);
          await store.delWill({
            id: will.clientId ?? '',
            ...(will.brokerId === undefined ? {} : { brokerId: will.brokerId }),
          });
        }
      })(),
      { objectMode: true },
    );
}
