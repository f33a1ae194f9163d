import type { Aedes } from 'aedes';

/**
 * Answers the subscriptions to topics `answers` knows (it gives their payload, or null for any
 * other topic) with that payload as a retained QoS 0 message right after the SUBACK, nothing
 * stored. A subscription the access rules refused (granted 128) gets nothing. A persistent session
 * still being sent what was queued for it gets the answer after all of it: aedes lets its SUBSCRIBE
 * through meanwhile, and the answer waits for the session to be connected.
 */
export function answerSubscriptions(aedes: Aedes, answers: (topic: string) => Buffer | null): void {
  aedes.on('subscribe', (subscriptions, client) => {
    for (const { topic, qos } of subscriptions) {
      if ((qos as number) === 128) continue;
      const payload = answers(topic);
      if (payload === null) continue;
      const answer = () =>
        client.publish({ cmd: 'publish', topic, payload, qos: 0, retain: true, dup: false }, () => {});
      if (client.connected) answer();
      else client.once('connected', answer);
    }
  });
}
