// One line from a sender to a following receiver, beside a bare QoS 1 publish to a subscriber
// through stock Mosquitto: what a line costs on the way, with both ends already connected.
import { consumerAttached } from '../../test/harness.js';
import { bareLatencyMs } from '../bare-mqtt.js';
import { bareRelayLineMs } from '../bare-relay.js';
import { lineTimes } from '../line-times.js';
import type { Figure } from '../context.js';
import { OutputWatch } from '../output-watch.js';
import { median, ms, worst } from '../stats.js';

const LINES = 51;

export const line: Figure = {
  spec: {
    id: 'line',
    title: 'one line, sender to `recv -f`',
    unit: 'ms',
    anchorName: 'bare MQTT.js QoS 1 publish to subscriber through stock Mosquitto',
    better: 'lower',
    goalRatio: 5,
  },
  budgetSeconds: 90,
  async measure(context, scope) {
    // The anchor's broker first: without it there is no figure to make.
    const mosquitto = await context.brokers.stock('mosquitto');
    const url = (await context.brokers.ours()).url;
    const sky = scope.sky();
    const receiver = sky.start(['recv', '-f', 'line', '--url', url]);
    const output = new OutputWatch(receiver.child.stdout!);
    await consumerAttached(url, 'line');
    const sender = sky.start(['send', 'line', '--url', url], { input: 'pipe' });
    const stdin = sender.child.stdin!;
    const times = await lineTimes(stdin, output, LINES, scope);
    stdin.end();
    const sent = await sender.result;
    if (sent.code !== 0) throw new Error(`skypipe send exited with ${sent.code}: ${sent.stderr.trim()}`);
    receiver.child.kill('SIGINT');
    await receiver.result;

    const anchor = await bareLatencyMs(mosquitto.url, LINES, scope);
    const relayed = await bareRelayLineMs(url, LINES, scope);
    return {
      value: median(times),
      anchor: median(anchor),
      notes: [
        `median of ${LINES}, through our durable broker; worst ${ms(worst(times))}, anchor's worst ${ms(worst(anchor))}`,
        `a bare MQTT.js relay in skypipe's place (two processes, stdin to stdout, same broker): median ${ms(median(relayed))}`,
      ],
    };
  },
};
