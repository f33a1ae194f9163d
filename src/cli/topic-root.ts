import { PipeError, topicRoot, type BrokerTarget } from '../client/index.js';

/** The topic root of the pipes: --topic-prefix, else SKYPIPE_TOPIC_PREFIX, under the user's namespace. */
export function rootFor(flags: { topicPrefix?: string | undefined }, target: BrokerTarget): string {
  const prefix = flags.topicPrefix ?? process.env.SKYPIPE_TOPIC_PREFIX;
  const root = topicRoot(prefix, target.username);
  if (root === null)
    throw new PipeError(
      `topic prefix '${prefix}' is not usable: give topic levels separated by '/', without '+', '#', a leading '$' or empty levels`,
      'usage',
    );
  return root;
}
