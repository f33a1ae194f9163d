import type { Timings } from '../timings.js';
import type { BrokerTarget } from '../transport/broker-target.js';
import { connect, publish, randomClientId } from '../transport/connection.js';

/**
 * Ends a stream the broker refused (a quota, a full disk) for the receivers connected now, which
 * would otherwise wait the sender timeout for a sender that never comes back. The broker closed the
 * sender's connection and stores nothing more of the stream, so `abortFrame` goes on a connection
 * of its own at QoS 0, which it lets in as nothing is stored; numbered as the frame the broker named
 * in its refusal (the first it will not hold), it ends the stream where what the pipe holds ends.
 * Best effort: a receiver that is away learns it from the sender record, after the sender timeout.
 */
export async function endRefusedStream(
  { target, topics }: { target: BrokerTarget; topics: { data: string } },
  abortFrame: Buffer,
  timings: Timings,
): Promise<void> {
  const connection = await connect(target, { clientId: randomClientId('sender'), clean: true }, timings).catch(
    () => null,
  );
  if (connection === null) return;
  await publish(connection.client, topics.data, abortFrame, { qos: 0 }).catch(() => {});
  await connection.client.endAsync().catch(() => {});
}
