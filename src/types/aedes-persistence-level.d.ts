declare module 'aedes-persistence-level' {
  import type { Readable } from 'node:stream';
  import type { AbstractLevel } from 'abstract-level';
  /** Aedes persistence stored in a Level database; only what skypipe touches is typed. */
  export interface LevelPersistence {
    createRetainedStreamCombi(patterns: string[]): Readable;
    setup(broker: { id: string }): Promise<void>;
    putWill(client: { id: string }, packet: object): Promise<void>;
  }
  export default function aedesPersistenceLevel(db: AbstractLevel<any, any, any>): LevelPersistence;
}

declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { Readable } from 'node:stream';
  import type { AbstractLevel } from 'abstract-level';
  type Packet = Record<string, unknown>;
  /** aedes-persistence-level's store itself, with promises (aedes 1.x calls it so); what skypipe overrides is typed. */
  export default class AsyncLevelPersistence {
    constructor(db: AbstractLevel<any, any, any>);
    setup(broker: { id: string }): Promise<void>;
    createRetainedStreamCombi(patterns: string[]): Readable;
    putWill(client: { id: string }, packet: object): Promise<void>;
    outgoingEnqueue(sub: { clientId: string }, packet: Packet): Promise<void>;
    outgoingEnqueueCombi(subs: { clientId: string }[] | null | undefined, packet: Packet): Promise<unknown>;
    outgoingUpdate(client: { id: string }, packet: Packet): Promise<void>;
    outgoingClearMessageId(client: { id: string }, packet: Packet): Promise<Packet | undefined>;
    outgoingStream(client: { id: string }): Readable;
    destroy(): Promise<void>;
  }
}
