import type { MqttClient } from 'mqtt';
import { isMarkerSet } from '../../protocol/mailbox-marker.js';
import { decodePresence } from '../../protocol/presence.js';
import type { PipeTopics } from '../../protocol/topics.js';
import { encodeConnectedRecord } from '../../protocol/sender-record.js';
import { publish, subscribe } from '../transport/connection.js';
import { readRetainedTopics } from '../transport/retained.js';

/** What a sender learns of its pipe before its first frame. */
export interface PipeAtStart {
  /** A receiver's presence record is there: it consumes the pipe. */
  consumed: boolean;
  /** The mailbox marker is set: the pipe's mailbox session was made before. */
  marked: boolean;
}

/**
 * Announces a stream (`announce`: its subscriptions and sender record) and reads the pipe's
 * records, in one exchange: the packets go out together and the broker handles them in order, so
 * the records are read after the sender record is in, as a receiver starting at the same instant
 * expects.
 */
export async function announceAndLook(
  client: MqttClient,
  topics: PipeTopics,
  announce: () => Promise<void>,
  warn: (message: string) => void,
): Promise<PipeAtStart> {
  const announced = announce();
  const records = [topics.presence, topics.mailboxMarker];
  const read = readRetainedTopics(client, records, topics.echo(client.options.clientId!));
  const [, retained] = await Promise.all([announced, read]);
  const presence = retained.get(topics.presence) ?? null;
  return {
    consumed: presence !== null && decodePresence(presence, warn) !== null,
    marked: isMarkerSet(retained.get(topics.mailboxMarker) ?? null),
  };
}

/**
 * Follows `follow` (the consumer's progress, the broker's advertisement) and sets the sender record,
 * which tells receivers the sender is connected. Written together and handled in order, so a
 * skypipe broker's answer to the advertisement subscription comes before the record's PUBACK: its
 * limits are known when this is done.
 */
export async function announceSender(
  client: MqttClient,
  follow: string[],
  senderTopic: string,
  size: number | undefined,
): Promise<void> {
  const subscribed = subscribe(client, follow, 0);
  const recorded = publish(client, senderTopic, encodeConnectedRecord(size), { qos: 1, retain: true });
  await Promise.all([subscribed, recorded]);
}
