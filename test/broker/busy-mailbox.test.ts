// A sender whose own connection got in, but whose moment's connection to the pipe's mailbox is
// refused as busy (here: the user at its connection limit), tries that one again instead of giving
// up. Our broker in this process, the sender in this process, through a proxy that counts connections.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SEND_SETTINGS, parseBrokerUrl, pipeTopics, send, topicRoot } from '../../src/client/index.js';
import { until } from '../harness.js';
import { FAST_TIMINGS } from '../in-process/timings.js';
import { TcpProxy } from '../tcp-proxy.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;
let proxy: TcpProxy;

describe('a sender whose mailbox connection is refused as busy', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['erin']);
    broker = await brokers.start({}, { maxConnectionsPerUser: 2 });
    proxy = await TcpProxy.start(broker.port);
  });
  after(async () => {
    await proxy.close();
    await broker.close();
    brokers.remove();
  });

  it('tries it again until there is room, and delivers the stream', async () => {
    const held = await broker.connectAs('erin', { clientId: 'held', clean: true });
    // Known to speak 3.1.1, so that no first try of MQTT 5 closes a connection.
    const target = {
      ...parseBrokerUrl(`mqtt://erin:erin%20secret@127.0.0.1:${proxy.port}`, 'the test'),
      protocolVersion: 4 as const,
    };
    const sent = send({
      target,
      topics: pipeTopics('busy', topicRoot(undefined, 'erin')!),
      input: Readable.from([Buffer.from('one line\n')]),
      settings: DEFAULT_SEND_SETTINGS,
      events: { warn: () => {}, progress: () => {} },
      timings: { ...FAST_TIMINGS, reconnectEveryMs: 50 },
    }).catch((error: Error) => error.message);
    // Its own connection stays; the mailbox connection (the user's third) was refused and closed.
    await until(() => proxy.closed >= 1, 'the mailbox connection refused');
    await held.endAsync();
    assert.equal(await sent, 9);
  });
});
