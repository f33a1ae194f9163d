// What /metrics gives away: served on loopback unless the operator says otherwise, and a bounded
// number of series however many sessions or users there are. In-process broker, stock clients.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveBrokerOptions } from '../../src/cli/broker-options.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;

describe('/metrics', { timeout: 60_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['alice']);
    broker = await brokers.start({ http: { host: '127.0.0.1', port: 0 } });
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('is served on 127.0.0.1 even when the broker listens everywhere, unless --http-host says otherwise', async () => {
    // A broker listening on every address, as in a container.
    const common = {
      host: '0.0.0.0',
      ports: { mqtt: undefined, mqtts: undefined, ws: undefined, wss: undefined },
      dataDir: join(brokers.dir, 'unused'),
      users: brokers.usersFile,
      httpPort: '8080',
    };
    assert.deepEqual((await resolveBrokerOptions(common)).http, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual((await resolveBrokerOptions({ ...common, httpHost: '0.0.0.0' })).http, {
      host: '0.0.0.0',
      port: 8080,
    });
  });

  it('names at most 50 sessions, the largest, and sums the rest under "(others)"', async () => {
    // 52 persistent sessions: the first two with one message waiting, the others with two.
    const waiting = (box: number) => (box < 2 ? 1 : 2);
    for (let box = 0; box < 52; box++) {
      const session = await broker.connectAs('alice', { clientId: `box-${box}`, clean: false });
      await session.subscribeAsync(`u/alice/box/${box}`, { qos: 1 });
      await session.endAsync();
    }
    const publisher = await broker.connectAs('alice', { clientId: 'publisher' });
    for (let box = 0; box < 52; box++)
      for (let message = 0; message < waiting(box); message++)
        await publisher.publishAsync(`u/alice/box/${box}`, 'waiting', { qos: 1 });
    await publisher.endAsync();
    const metrics = await (await fetch(`${broker.running.http}/metrics`)).text();
    const series = [...metrics.matchAll(/^skypipe_broker_queued_messages\{session="([^"]+)"\} (\d+)$/gm)];
    const bySession = new Map(series.map(([, session, count]) => [session!, Number(count)]));
    assert.equal(bySession.size, 50);
    // 49 sessions by name, each with two; the other three (1 + 1 + 2) summed.
    const named = [...bySession].filter(([session]) => session !== '(others)');
    assert.equal(named.length, 49);
    assert.ok(named.every(([session, count]) => /^alice:box-\d+$/.test(session) && count === 2));
    assert.equal(bySession.get('(others)'), 4);
  });
});
