import type { BrokerTarget } from './broker-target.js';
import { connect, disconnect, subscribe } from './connection.js';
import type { PipeTopics } from './topics.js';

/**
 * Makes sure the pipe's durable mailbox session exists, so that frames published while no receiver
 * is attached are queued by the broker instead of dropped. Only called when no receiver is present:
 * connecting with the mailbox's client id takes the session over from whoever holds it.
 * Returns whether the session already existed.
 */
export async function ensureMailbox(target: BrokerTarget, topics: PipeTopics): Promise<boolean> {
  const { client, sessionPresent } = await connect(target, {
    clientId: topics.mailboxClientId,
    clean: false,
    // Queued frames the broker sends now stay unacknowledged, so they stay in the mailbox.
    deliver: () => {},
  });
  try {
    if (!sessionPresent) await subscribe(client, [topics.data], 1);
  } catch (error) {
    // Closed under us: a receiver (or another sender doing the same) took the session over, and
    // that client subscribes the mailbox itself.
    if (client.connected) throw error;
  } finally {
    await disconnect(client);
  }
  return sessionPresent;
}
