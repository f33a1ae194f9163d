import type { MqttClient } from 'mqtt';
import { FrameRejected, readFrame, type QueuedAhead } from '../../protocol/frame.js';
import type { PipeTopics } from '../../protocol/topics.js';
import { markNewMailbox } from '../mailbox-marker.js';
import type { BrokerTarget } from '../transport/broker-target.js';
import { failsForGood } from '../transport/connect-failure.js';
import { disconnect, subscribe } from '../transport/connection.js';
import { reconnect } from '../transport/reconnect.js';
import type { Timings } from '../timings.js';
import { firstOf } from './first-of.js';
import { QueuedAheadLog } from './queued-ahead-log.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface MailboxCheck {
  target: BrokerTarget;
  topics: PipeTopics;
  /** The caller's own connection, for the mailbox marker. */
  own: MqttClient;
  /** Whether the mailbox marker was set, read before this connects with the mailbox's client id (see markNewMailbox). */
  markedBefore: boolean;
  warn: (message: string) => void;
  timings: Timings;
  /** Getting the mailbox connection stops once this says so. */
  stopped: () => boolean;
  /** The broker answers the advertisement subscription after a resumed session's queue (a skypipe broker). */
  queueFirst: boolean;
}

/**
 * Makes sure the pipe's durable mailbox session exists, so that frames published while no receiver
 * is attached are queued by the broker instead of dropped. Only called when no receiver is present:
 * connecting with the mailbox's client id takes the session over from whoever holds it.
 * Returns the streams the broker handed over from the mailbox's queue: they are ahead of the
 * caller's stream.
 */
export async function ensureMailbox({
  target,
  topics,
  own,
  warn,
  timings,
  stopped,
  queueFirst,
  markedBefore,
}: MailboxCheck): Promise<QueuedAhead[]> {
  const queued = new QueuedAheadLog();
  let lastHandedAt = 0;
  let queueEnded = () => {};
  const queueSeen = new Promise<void>((resolve) => (queueEnded = resolve));
  // The sender's own connection just got in: a refusal now is the broker busy or at a limit for a
  // moment (after a restart, say), and is tried again within the reconnect window.
  const { client, sessionPresent } = await reconnect(
    target,
    {
      clientId: topics.mailboxClientId,
      clean: false,
      // Queued frames the broker sends now stay unacknowledged, so they stay in the mailbox.
      deliver: (packet) => {
        lastHandedAt = Date.now();
        if (packet.topic === topics.advertisement) queueEnded();
        if (packet.topic !== topics.data) return;
        const frame = readFrame(packet.payload);
        // What is not a frame the consumer reports.
        if (!(frame instanceof FrameRejected)) queued.saw(frame);
      },
    },
    'making sure the pipe buffers',
    stopped,
    timings,
    failsForGood,
  );
  try {
    // Always: a session can exist without its subscription (a receiver that was taken over
    // between its CONNECT and its SUBSCRIBE), and then frames would go nowhere. Subscribing again
    // keeps what the session holds.
    // A skypipe broker's advertisement marks the end of the queue.
    await subscribe(client, queueFirst ? [topics.data, topics.advertisement] : [topics.data], 1);
    if (sessionPresent && queueFirst) {
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      // firstOf clears its timer: the check does not leave a 2 s timer behind it.
      await firstOf([queueSeen, closed], timings.mailboxWaitMs, undefined);
    }
    // Elsewhere, queued frames may come a moment after the SUBACK (NATS), and a broker that does
    // not send them again on resume holds the ones it sent to a closed connection for a while:
    // they must be seen to be named as queued ahead, and the queue is over once it is quiet.
    const since = Date.now();
    while (
      sessionPresent &&
      !queueFirst &&
      client.connected &&
      Date.now() - Math.max(since, lastHandedAt) < timings.mailboxQuietMs &&
      Date.now() - since < timings.mailboxWaitMs
    )
      await sleep(20);
  } catch (error) {
    // Closed under us: a receiver (or another sender doing the same) took the session over, and
    // that client subscribes the mailbox itself.
    if (client.connected) throw error;
  } finally {
    await disconnect(client);
  }
  if (!sessionPresent) await markNewMailbox(own, topics, warn, markedBefore);
  return queued.entries;
}
