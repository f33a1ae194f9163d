import type { Aedes, Client } from 'aedes';
import {
  ADVERTISEMENT_LEVEL,
  advertisementTopic,
  encodeAdvertisement,
  type BrokerAdvertisement,
  type RefusedFrame,
} from '../protocol/advertisement.js';
import { FrameRejected, readFrame } from '../protocol/frame.js';
import { DATA_LEVEL, DEFAULT_TOPIC_ROOT } from '../protocol/topics.js';
import { answerSubscriptions } from './subscription-answers.js';

const SUFFIX = `${DEFAULT_TOPIC_ROOT}/${ADVERTISEMENT_LEVEL}`;
const isAdvertisementTopic = (topic: string): boolean => topic === SUFFIX || topic.endsWith(`/${SUFFIX}`);

/**
 * Answers a subscription to `<root>/%broker` under any root with the broker's advertisement (see
 * subscription-answers.ts): every user and topic prefix gets it. A persistent session that is
 * still being sent what was queued for it gets the answer after all of it: so a client learns,
 * without waiting for quiet, that it has seen the whole queue (`queueFirst`).
 */
export function answerAdvertisementSubscriptions(aedes: Aedes, advertisement: BrokerAdvertisement): void {
  const payload = encodeAdvertisement({ ...advertisement, queueFirst: true, acknowledgesStored: true });
  answerSubscriptions(aedes, (topic) => (isAdvertisementTopic(topic) ? payload : null));
}

/**
 * Tells a client why the broker refuses its publish, on each advertisement topic it subscribed
 * to (a skypipe sender subscribes to its root's before it publishes) and on `root`'s when one is
 * known, then calls back. MQTT 3.1.1 has no negative PUBACK: the connection closes next, and this
 * is how the sender learns why.
 */
export function tellRefusal(
  client: Client,
  version: string,
  reason: string,
  done: () => void,
  refusedPublish?: { root?: string; packet: { topic: string; payload: Buffer | string } },
): void {
  const subscribed = (client as unknown as { subscriptions: Record<string, unknown> }).subscriptions;
  const topics = new Set(Object.keys(subscribed).filter(isAdvertisementTopic));
  if (refusedPublish?.root !== undefined) topics.add(advertisementTopic(refusedPublish.root));
  const refusedFrame = refusedPublish === undefined ? undefined : frameOf(refusedPublish.packet);
  const payload = encodeAdvertisement({
    skypipe: version,
    refused: reason,
    ...(refusedFrame === undefined ? {} : { refusedFrame }),
  });
  let left = topics.size;
  if (left === 0) return done();
  for (const topic of topics)
    client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, () => {
      left -= 1;
      if (left === 0) done();
    });
}

/** A refused publish that is a pipe's data frame, named by its header; undefined for anything else. */
function frameOf(packet: { topic: string; payload: Buffer | string }): RefusedFrame | undefined {
  if (!packet.topic.endsWith(`/${DATA_LEVEL}`) || typeof packet.payload === 'string') return undefined;
  const frame = readFrame(packet.payload);
  if (frame instanceof FrameRejected) return undefined;
  return { stream: frame.streamId.toString('hex'), seq: frame.seq, offset: frame.offset };
}
