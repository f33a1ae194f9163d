import type { Level } from 'level';
import msgpack from 'msgpack-lite';
import { messageCost, ownerOfTopic, retainedCost, userOfSession, type StoredBytes } from './stored-bytes.js';

interface Packet {
  topic: string;
  payload?: Buffer | string;
  clientId?: string;
}

/** The persistence calls that keep retained messages and Wills (aedes-persistence's API). */
interface RecordPersistence {
  storeRetained(packet: Packet): Promise<unknown>;
  putWill(client: { id: string }, packet: Packet): Promise<unknown>;
  delWill(client: { id: string }): Promise<unknown>;
}

/** Where aedes-persistence-level keeps them: these prefixes, then the topic or the URI-encoded client id. */
const RETAINED = 'retained:';
const WILL = 'will:';

async function* storedUnder(db: Level<string, string>, prefix: string): AsyncGenerator<Packet> {
  const range = { gte: prefix, lt: `${prefix.slice(0, -1)};`, valueEncoding: 'buffer' };
  for await (const value of db.values<string, Buffer>(range)) yield msgpack.decode(value) as Packet;
}

/**
 * The retained messages and the stored Wills, counted from the store at start and then as they are
 * stored, replaced and deleted: a retained message for the user whose namespace holds its topic,
 * a Will for the user its session belongs to. Both go to the ledger.
 */
export class StoredRecords {
  /** What each retained topic counts now. */
  private readonly retained = new Map<string, number>();
  /** What each session's Will counts now, by client id. */
  private readonly wills = new Map<string, number>();

  private constructor(private readonly ledger: StoredBytes) {}

  static async follow(persistence: unknown, db: Level<string, string>, ledger: StoredBytes): Promise<StoredRecords> {
    const records = new StoredRecords(ledger);
    for await (const packet of storedUnder(db, RETAINED)) records.setRetained(packet);
    for await (const will of storedUnder(db, WILL)) records.setWill(will.clientId ?? '', will);
    records.wrap(persistence as RecordPersistence);
    return records;
  }

  /** What the retained message on `topic` counts now (0 for none). */
  retainedCostOf(topic: string): number {
    return this.retained.get(topic) ?? 0;
  }

  private setRetained(packet: Packet): void {
    const cost = retainedCost(packet.topic, packet.payload);
    const before = this.retained.get(packet.topic) ?? 0;
    if (cost > 0) this.retained.set(packet.topic, cost);
    else this.retained.delete(packet.topic);
    this.ledger.change(ownerOfTopic(packet.topic), cost - before, packet.payload);
  }

  private setWill(session: string, will: Packet | null): void {
    const cost = will === null ? 0 : messageCost(will.topic, will.payload);
    const before = this.wills.get(session) ?? 0;
    if (cost > 0) this.wills.set(session, cost);
    else this.wills.delete(session);
    this.ledger.change(userOfSession(session), cost - before, will?.payload);
  }

  private wrap(persistence: RecordPersistence): void {
    const storeRetained = persistence.storeRetained.bind(persistence);
    const putWill = persistence.putWill.bind(persistence);
    const delWill = persistence.delWill.bind(persistence);
    persistence.storeRetained = async (packet) => {
      const result = await storeRetained(packet);
      this.setRetained(packet);
      return result;
    };
    persistence.putWill = async (client, packet) => {
      const result = await putWill(client, packet);
      this.setWill(client.id, packet);
      return result;
    };
    persistence.delWill = async (client) => {
      const result = await delWill(client);
      this.setWill(client.id, null);
      return result;
    };
  }
}
