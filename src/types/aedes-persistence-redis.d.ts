declare module 'aedes-persistence-redis' {
  /** Aedes persistence in Redis; the options are ioredis's, and maxSessionDelivery. */
  export default function aedesPersistenceRedis(options: Record<string, unknown>): unknown;
}
