// `echo hi | skypipe send` into a pipe nobody reads, beside a bare MQTT.js script that connects,
// publishes once at QoS 1 and ends: both whole processes, through our durable broker.
import { resolve } from 'node:path';
import type { Context, Figure } from '../context.js';
import { timedRun } from '../process-time.js';
import type { Scope } from '../scope.js';
import { median, ms } from '../stats.js';
import { SKYPIPE } from '../../test/harness.js';

const ONE_PUBLISH = resolve(import.meta.dirname, '../one-publish.js');
const SAMPLES = 7;

/**
 * The anchor script's median through stock Mosquitto, for the notes: how much of the anchor is our
 * broker's, and how much a fresh node process loading MQTT.js.
 */
async function throughMosquitto(context: Context, scope: Scope): Promise<string> {
  let url: string;
  try {
    url = (await context.brokers.stock('mosquitto')).url;
  } catch (error) {
    return `the anchor through stock Mosquitto: not measured (${(error as Error).message})`;
  }
  const times: number[] = [];
  for (let round = 0; round <= SAMPLES; round++) {
    scope.check();
    const time = await timedRun(process.execPath, [ONE_PUBLISH, url, `bench/idle/${round}`]);
    if (round > 0) times.push(time);
  }
  return `the anchor through stock Mosquitto instead: ${ms(median(times))} (median of ${SAMPLES})`;
}

export const idleSend: Figure = {
  spec: {
    id: 'idle-send',
    title: '`echo hi | skypipe send x`, idle pipe',
    unit: 'ms',
    anchorName: 'bare MQTT.js script: connect, one QoS 1 publish, end',
    better: 'lower',
    goalRatio: 1.5,
  },
  budgetSeconds: 90,
  async measure(context, scope) {
    const url = (await context.brokers.ours()).url;
    // One state directory for all the sends, as one user's: what skypipe remembers counts.
    const sky = scope.sky();
    const skypipe: number[] = [];
    const bare: number[] = [];
    // Round 0 warms the disk cache for both and is not a sample; turns alternate so that both
    // share the machine's ups and downs. Each send goes into a pipe of its own, empty and idle.
    for (let round = 0; round <= SAMPLES; round++) {
      scope.check();
      const sent = await timedRun(process.execPath, [SKYPIPE, 'send', `idle-${round}`, '--url', url], {
        env: sky.env,
        input: 'hi\n',
      });
      const published = await timedRun(process.execPath, [ONE_PUBLISH, url, `bench/idle/${round}`]);
      if (round === 0) continue;
      skypipe.push(sent);
      bare.push(published);
    }
    return {
      value: median(skypipe),
      anchor: median(bare),
      notes: [
        `median of ${SAMPLES} each; skypipe ${skypipe.map(ms).join(', ')}; bare ${bare.map(ms).join(', ')}`,
        await throughMosquitto(context, scope),
      ],
    };
  },
};
