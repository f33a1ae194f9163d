import type { Client } from 'aedes';

/**
 * What one client may subscribe to. skypipe's own clients send at most two topics in a SUBSCRIBE
 * and hold about ten subscriptions at once; the limits leave room and bound what a stranger can
 * make the broker do and store.
 */
export const MAX_TOPICS_PER_SUBSCRIBE = 8;
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 64;

/** Whether a client may hold one more subscription to `topic` (one it holds already is no more). */
export function underSubscriptionLimit(client: Client, topic: string): boolean {
  const held = (client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {};
  return Object.hasOwn(held, topic) || Object.keys(held).length < MAX_SUBSCRIPTIONS_PER_CLIENT;
}
