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
