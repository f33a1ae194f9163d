// On skypipe's broker a PUBACK means "stored" (it says so in its advertisement), so a sender ends
// its stream without the echo round trip it makes elsewhere to know its frames are stored. A stock
// client watches every topic of the pipe; our broker in this process, the sender in this process.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_SEND_SETTINGS, parseBrokerUrl, pipeTopics, send, topicRoot } from '../../src/client/index.js';
import { decodeFrame } from '../../src/protocol/frame.js';
import { FAST_TIMINGS } from '../in-process/timings.js';
import { BrokerDir, type TestBroker } from './in-process-broker.js';

const brokers = new BrokerDir();
let broker: TestBroker;

describe('a sender on a broker that acknowledges only what it stored', { timeout: 30_000 }, () => {
  before(async () => {
    await brokers.writeUsers(['erin']);
    broker = await brokers.start();
  });
  after(async () => {
    await broker.close();
    brokers.remove();
  });

  it('ends its stream without an echo round trip after the end frame', async () => {
    const topics = pipeTopics('stored', topicRoot(undefined, 'erin')!);
    const pipe = topics.data.slice(0, -'/d'.length);
    const watcher = await broker.connectAs('erin', { clientId: 'watcher', clean: true });
    const seen: string[] = [];
    let recorded = () => {};
    const sentRecord = new Promise<void>((resolve) => (recorded = resolve));
    watcher.on('message', (topic, payload) => {
      if (topic === topics.data) seen.push(`frame ${decodeFrame(payload).type}`);
      else if (topic.startsWith(`${pipe}/e/`)) seen.push('echo');
      else if (topic.startsWith(`${pipe}/s/`) && payload.toString().startsWith('{')) recorded();
    });
    await watcher.subscribeAsync(`${pipe}/#`, { qos: 0 });
    const sent = await send({
      target: parseBrokerUrl(`mqtt://erin:erin%20secret@127.0.0.1:${broker.port}`, 'the test'),
      topics,
      input: Readable.from([Buffer.from('one line\n')]),
      settings: DEFAULT_SEND_SETTINGS,
      events: { warn: () => {} },
      timings: FAST_TIMINGS,
    });
    assert.equal(sent, 9);
    // The record of the sent stream comes last: everything the sender published before it was seen.
    await sentRecord;
    await watcher.endAsync();
    assert.deepEqual(seen.slice(seen.indexOf('frame data')), ['frame data', 'frame end']);
  });
});
