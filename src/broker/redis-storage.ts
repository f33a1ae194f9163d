import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import { hideUserInfo } from '../protocol/redact-url.js';
import { StoreHealth } from './store-health.js';

/**
 * Redis: sessions, queued frames and retained messages in Redis, and messages routed through its
 * pub/sub, so that several broker instances serve the same pipes. A Storage (storage.ts checks it
 * where it loads this module).
 */
export async function openRedis(raw: string, options: Record<string, unknown>) {
  // -1: a session gets every message queued for it on connect (the default, 1,000, would strand the rest).
  const persistence = aedesPersistenceRedis({ ...options, maxSessionDelivery: -1 });
  const mq = mqemitterRedis(options);
  return {
    persistence,
    mq,
    queued: null,
    accounting: null,
    where: hideUserInfo(raw),
    health: new StoreHealth(),
    close: async () => {
      await new Promise<void>((resolve) => mq.close(() => resolve()));
      await new Promise<void>((resolve) =>
        (persistence as { destroy(callback: () => void): void }).destroy(() => resolve()),
      );
    },
  };
}
