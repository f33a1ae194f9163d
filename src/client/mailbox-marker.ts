import type { MqttClient } from 'mqtt';
import { isMarkerSet, MAILBOX_MARKER } from '../protocol/mailbox-marker.js';
import { displayName, type PipeTopics } from '../protocol/topics.js';
import { publish } from './transport/connection.js';
import { readRetained } from './transport/retained.js';

/** Whether the mailbox marker is set. Read before connecting with the mailbox's client id (see markNewMailbox). */
export async function isMarked(own: MqttClient, topics: PipeTopics): Promise<boolean> {
  return isMarkerSet(await readRetained(own, topics.mailboxMarker, topics.echo(own.options.clientId!)));
}

/**
 * Called when the broker said the mailbox session did not exist. If the marker was set before
 * the caller connected, the session existed before: the broker lost it, and whatever waited in
 * the pipe with it. A marker read after connecting could be one that a receiver and a sender
 * creating the session at the same instant had just set (aedes answered both "no session").
 */
export async function markNewMailbox(
  own: MqttClient,
  topics: PipeTopics,
  warn: (message: string) => void,
  markedBefore: boolean,
): Promise<void> {
  if (markedBefore) {
    warn(
      `the broker had lost the session that holds ${displayName(topics.name)} (restarted without durable storage, or the session expired); ` +
        'if anything waited in the pipe, it is gone',
    );
    return;
  }
  await publish(own, topics.mailboxMarker, MAILBOX_MARKER, { qos: 1, retain: true });
}
