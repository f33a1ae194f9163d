declare module 'aedes-persistence-level' {
  import type { AbstractLevel } from 'abstract-level';
  /** Aedes persistence stored in a Level database. */
  export default function aedesPersistenceLevel(db: AbstractLevel<any, any, any>): unknown;
}
