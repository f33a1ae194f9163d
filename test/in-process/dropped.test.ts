// A broker that drops frames on their way to a pipe's mailbox and still acknowledged them to the
// sender, as Mosquitto does past its queue limit: each stream it dropped is named, all of it or its
// end, and the pipe works on.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { until } from '../harness.js';
import { startDroppingBroker } from './broker.js';
import { describeOn } from './pipes.js';
import { FAST_TIMINGS } from './timings.js';

/** A stream whose first bytes say so loses all its frames, or all but its first, at the mailboxes of `dropping`. */
const DROP_WHOLE = 'drop whole\n';
const DROP_REST = 'drop rest\n';
const dropping = new Set<string>();
const fates = new Map<string, 'whole' | 'rest' | 'none'>();

const startBroker = () =>
  startDroppingBroker((clientId, frame) => {
    if (!dropping.has(clientId)) return false;
    const id = frame.streamId.toString('hex');
    if (frame.seq === 0) {
      const text = frame.payload.toString('latin1');
      fates.set(id, text.startsWith(DROP_WHOLE) ? 'whole' : text.startsWith(DROP_REST) ? 'rest' : 'none');
    }
    const fate = fates.get(id);
    return fate === 'whole' || (fate === 'rest' && frame.seq > 0);
  });

const FIX = 'raise its queue limit \\(Mosquitto: max_queued_messages 0\\)';
const SENT = (bytes: number) =>
  `a ${bytes} bytes stream sent from ${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z`;
const droppedWhole = (bytes: number, pipe: string) =>
  new RegExp(`^the broker dropped ${SENT(bytes)} into pipe '${pipe}': none of it arrived; ${FIX}$`);
const droppedRest = (bytes: number, after: number) =>
  new RegExp(
    `^the broker dropped the rest of ${SENT(bytes)} after ${after} bytes of its stream; the output is incomplete; ${FIX}$`,
  );

/** Lines of 100 bytes: in 1 KiB frames, a stream of many frames. */
const lines = (label: string, count: number) =>
  Array.from({ length: count }, (_, line) => `${label} line ${String(line).padStart(5, '0')} `.padEnd(99, 'x') + '\n');

describeOn('an aedes that drops frames', FAST_TIMINGS, startBroker, (pipes) => {
  const pipe = (name: string) => (dropping.add(pipes.topics(name).mailboxClientId), name);
  const smallFrames = { settings: { frameBytes: 1024 } };

  pipes.it('names a stream dropped whole, fails the receive that got none of it, and the pipe works on', async () => {
    const name = pipe('whole');
    const text = DROP_WHOLE + lines('dropped', 30).join('');
    assert.equal(await pipes.send(name, text, smallFrames).result, text.length);
    const receiver = pipes.receive(name);
    const error = await receiver.failure();
    assert.equal(error.kind, 'incomplete');
    assert.match(error.message, droppedWhole(text.length, name));
    assert.equal(receiver.output().length, 0);
    assert.deepEqual(receiver.warnings, []);
    await pipes.send(name, 'after\n').result;
    const next = pipes.receive(name);
    await next.result;
    assert.deepEqual([next.output().toString(), next.warnings], ['after\n', []]);
  });

  pipes.it('names the end of a stream dropped after its first frame, and fails that receive', async () => {
    const name = pipe('rest');
    const text = DROP_REST + lines('cut', 30).join('');
    assert.equal(await pipes.send(name, text, smallFrames).result, text.length);
    const receiver = pipes.receive(name);
    const error = await receiver.failure();
    assert.equal(error.kind, 'incomplete');
    const got = receiver.output().toString();
    assert.ok(got.length > 0 && got.length < text.length && text.startsWith(got), 'the first frame, byte for byte');
    assert.match(error.message, droppedRest(text.length, got.length));
    await pipes.send(name, 'after\n').result;
    const next = pipes.receive(name);
    await next.result;
    assert.deepEqual([next.output().toString(), next.warnings], ['after\n', []]);
  });

  pipes.it('names what it dropped to a following receiver, which goes on', async () => {
    const name = pipe('follow');
    const receiver = pipes.receive(name, { follow: true });
    await pipes.consumerAttached(name);
    const [whole, rest] = [DROP_WHOLE + lines('whole', 20).join(''), DROP_REST + lines('rest', 20).join('')];
    const streams = ['one\n', whole, 'two\n', rest, 'three\n'];
    for (const text of streams) assert.equal(await pipes.send(name, text, smallFrames).result, text.length);
    await until(() => receiver.warnings.length >= 2, 'both drops named');
    await until(() => receiver.output().toString().endsWith('three\n'), 'the last stream');
    receiver.abort();
    assert.equal((await receiver.failure()).kind, 'interrupted');
    const got = receiver.output().toString();
    const part = /^one\ntwo\n(.*)three\n$/s.exec(got)?.[1];
    assert.ok(part !== undefined && part.length > 0 && rest.startsWith(part), `in order, once: ${got.slice(0, 60)}`);
    const [named, cut] = [
      receiver.warnings.filter((line) => droppedWhole(whole.length, name).test(line)),
      receiver.warnings.filter((line) => droppedRest(rest.length, part.length).test(line)),
    ];
    assert.equal(named.length + cut.length, 2, receiver.warnings.join('\n'));
    assert.deepEqual([named.length, cut.length, receiver.warnings.length], [1, 1, 2]);
  });
});
