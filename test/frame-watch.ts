// Watches the frames sent into a pipe, as a listener would, for tests that wait until a sender has
// sent something: a clean session of its own, which takes nothing from the pipe.
import mqtt from 'mqtt';
import { decodeFrame } from '../src/protocol/frame.js';
import { until } from './harness.js';

export interface FrameWatch {
  /** Data frames seen so far. */
  dataFrames(): number;
  /** Waits until `count` data frames have been sent. */
  sent(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Watches `dataTopic` (a pipe's data topic) on the broker at `url`, from now on. */
export async function watchFrames(url: string, dataTopic: string): Promise<FrameWatch> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  let frames = 0;
  client.on('message', (_topic, payload) => {
    try {
      if (decodeFrame(payload).type === 'data') frames += 1;
    } catch {
      // not a frame
    }
  });
  await client.subscribeAsync(dataTopic, { qos: 1 });
  return {
    dataFrames: () => frames,
    sent: (count) => until(() => frames >= count, `${count} data frames on ${dataTopic}`),
    close: () => client.endAsync(),
  };
}
