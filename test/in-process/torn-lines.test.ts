// Lines stay whole across an outage: a partial line left in a sender when a broker outage holds its
// input back gets its second to find its newline once the broker is back, instead of going alone
// (another sender's line could come between its parts in a following receiver's output). A stock
// MQTT.js client watches the frames on the data topic.
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { decodeFrame } from '../../src/protocol/frame.js';
import { until } from '../harness.js';
import { onEveryBroker } from './pipes.js';

const OUTAGE_MS = 3000;

onEveryBroker((pipes) => {
  pipes.it('cuts no line in two when an outage holds the input back', async () => {
    const watcher = await mqtt.connectAsync(pipes.url, { protocolVersion: 4, reconnectPeriod: 0 });
    // By sequence number: a frame the sender sends again after the outage is seen twice.
    const frames = new Map<number, string>();
    const payloads = () => [...frames.keys()].sort((a, b) => a - b).map((seq) => frames.get(seq)!);
    watcher.on('message', (_topic, message) => {
      const frame = decodeFrame(message);
      if (frame.type === 'data') frames.set(frame.seq, frame.payload.toString());
    });
    await watcher.subscribeAsync(pipes.topics('torn').data, { qos: 0 });
    const proxy = await pipes.proxy();
    const { input, run } = pipes.sendLive('torn', {
      via: proxy,
      // One frame in flight: the second waits for the broker, and the input with it.
      settings: { partialLineMs: 500, maxFramesInFlight: 1 },
      timings: { reconnectWindowMs: Infinity },
    });
    input.write('line 0\n');
    await until(() => run.accepted === 7, 'the broker to take the first line');
    proxy.cut(OUTAGE_MS);
    input.write('line 1\n');
    // Read, and cut at once: its frame is in flight, and the next waits behind it.
    await until(() => input.readableLength === 0, 'the sender to read the second line');
    // A partial line, left in the sender while the outage holds its frames back.
    input.write('line 2\nline 3 begins');
    await until(() => proxy.downFor() === 0, 'the end of the outage', OUTAGE_MS + 5000);
    input.end(' and ends\nline 4\n');
    assert.equal(await run.result, 51);
    await until(() => payloads().join('').length === 51, 'every frame at the watcher');
    assert.deepEqual(
      payloads().filter((payload) => !payload.endsWith('\n')),
      [],
    );
    assert.equal(payloads().join(''), 'line 0\nline 1\nline 2\nline 3 begins and ends\nline 4\n');
    await watcher.endAsync();
  });
});
