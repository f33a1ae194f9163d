// The resilient link under the sender and the receiver, on our broker in this process.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { DEFAULT_TIMINGS } from '../../src/client/timings.js';
import { parseBrokerUrl } from '../../src/client/transport/broker-target.js';
import { subscribe } from '../../src/client/transport/connection.js';
import { Link } from '../../src/client/transport/link.js';
import { until } from '../harness.js';
import { startOurBroker, type LocalBroker } from './broker.js';

describe('a link', () => {
  let broker: LocalBroker;
  before(async () => (broker = await startOurBroker()));
  after(() => broker.close());

  /** A link on the durable session `clientId`, noting the connection number of each delivery. */
  function sessionLink(clientId: string, topic: string, deliveries: number[]): Link {
    return new Link({
      target: parseBrokerUrl(broker.url, 'the test'),
      connect: { clientId, clean: false },
      deliver: (_packet, _ack, connection) => deliveries.push(connection),
      attach: async ({ client }) => subscribe(client, [topic], 1),
      doing: 'testing',
      timings: DEFAULT_TIMINGS,
    });
  }

  it("never takes a delivery from an abandoned link for one on a later link's connection", async () => {
    const topic = 'links/abandoned';
    const abandonedDeliveries: number[] = [];
    const first = sessionLink('links-abandoned', topic, abandonedDeliveries);
    await first.open();
    const publisher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    await publisher.publishAsync(topic, 'frame', { qos: 1 });
    await until(() => abandonedDeliveries.length === 1, 'the delivery on the first link');
    first.abandon();

    // The broker sends the unacknowledged message again on the session's next connection.
    const laterDeliveries: number[] = [];
    const later = sessionLink('links-abandoned', topic, laterDeliveries);
    await later.open();
    await until(() => laterDeliveries.length === 1, 'the redelivery on the later link');
    assert.equal(later.isCurrent(laterDeliveries[0]!), true);
    assert.equal(later.isCurrent(abandonedDeliveries[0]!), false);
    await later.close();
    await publisher.endAsync();
  });
});
