// npm run bench: skypipe's throughput beside a bare MQTT.js publisher and subscriber through the
// same broker (our aedes broker with durable storage, run as `skypipe broker`).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ForegroundBroker, Sky } from '../test/harness.js';

const MIB = 1024 * 1024;
const totalMiB = Number(process.env.BENCH_MIB ?? 256);
const chunk = randomBytes(MIB);

function rate(seconds: number): string {
  return `${(totalMiB / seconds).toFixed(1)} MiB/s`.padStart(12);
}

/** QoS 1 publisher with 16 messages in flight, into a subscriber; session persistent or clean. */
async function bareMqtt(url: string, frameBytes: number, persistent: boolean): Promise<number> {
  const topic = `bench/${randomBytes(4).toString('hex')}`;
  const subscriber = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clean: !persistent,
    clientId: `bench${randomBytes(6).toString('hex')}`,
  });
  await subscriber.subscribeAsync(topic, { qos: 1 });
  const publisher = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const frame = Buffer.alloc(frameBytes, 7);
  const frames = Math.ceil((totalMiB * MIB) / frameBytes);
  let received = 0;
  const done = new Promise<void>((resolve) => subscriber.on('message', () => ++received === frames && resolve()));
  const started = performance.now();
  let inFlight = 0;
  let wake = () => {};
  for (let i = 0; i < frames; i++) {
    while (inFlight >= 16) await new Promise<void>((resolve) => (wake = resolve));
    inFlight += 1;
    publisher.publish(topic, frame, { qos: 1 }, () => {
      inFlight -= 1;
      wake();
    });
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  await publisher.endAsync();
  await subscriber.endAsync();
  return seconds;
}

/** One skypipe sender into one skypipe receiver writing to /dev/null. */
async function skypipe(sky: Sky, url: string, name: string): Promise<number> {
  const receiver = sky.shell(`$SKYPIPE recv ${name} --url ${url} > /dev/null`);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const started = performance.now();
  const sender = sky.start(['send', name, '--url', url], { input: 'pipe' });
  for (let i = 0; i < totalMiB; i++) {
    if (!sender.child.stdin!.write(chunk)) await new Promise((resolve) => sender.child.stdin!.once('drain', resolve));
  }
  sender.child.stdin!.end();
  const [sent, received] = await Promise.all([sender.result, receiver.result]);
  if (sent.code !== 0 || received.code !== 0) throw new Error(`skypipe failed: ${sent.stderr}${received.stderr}`);
  return (performance.now() - started) / 1000;
}

/** Milliseconds from a line written into a sender to the line out of a live receiver: median and worst of 50. */
async function lineLatency(sky: Sky, url: string): Promise<{ median: number; worst: number }> {
  const receiver = sky.start(['recv', '--follow', 'latency', '--url', url]);
  await new Promise((resolve) => setTimeout(resolve, 700));
  const sender = sky.start(['send', 'latency', '--url', url], { input: 'pipe' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const arrived = new Promise<void>((resolve) => receiver.child.stdout!.once('data', () => resolve()));
    const started = performance.now();
    sender.child.stdin!.write(`line ${i}\n`);
    await arrived;
    samples.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  sender.child.stdin!.end();
  await sender.result;
  receiver.child.kill('SIGINT');
  await receiver.result;
  samples.sort((a, b) => a - b);
  return { median: samples[25]!, worst: samples[49]! };
}

async function startupSeconds(sky: Sky): Promise<number> {
  const runs = 10;
  const started = performance.now();
  for (let i = 0; i < runs; i++) await sky.run(['--version']);
  return (performance.now() - started) / 1000 / runs;
}

const sky = new Sky();
const dataDir = mkdtempSync(join(tmpdir(), 'skypipe-bench-'));
const broker = new ForegroundBroker(sky, dataDir);
await broker.start();
try {
  console.log(`${totalMiB} MiB through the skypipe broker (aedes, durable storage), 2 cores:`);
  console.log(`bare MQTT.js, 1 MiB QoS 1, clean subscriber      ${rate(await bareMqtt(broker.url, MIB, false))}`);
  console.log(`bare MQTT.js, 1 MiB QoS 1, persistent subscriber ${rate(await bareMqtt(broker.url, MIB, true))}`);
  console.log(`bare MQTT.js, 16 KiB QoS 1, persistent subscriber${rate(await bareMqtt(broker.url, 16 * 1024, true))}`);
  console.log(`skypipe send | skypipe recv                      ${rate(await skypipe(sky, broker.url, 'bench'))}`);
  const latency = await lineLatency(sky, broker.url);
  console.log(
    `a line from sender to live receiver, median/worst   ${latency.median.toFixed(1)} / ${latency.worst.toFixed(1)} ms`,
  );
  console.log(`broker resident memory after the runs            ${(broker.rss() / MIB).toFixed(0).padStart(8)} MiB`);
  console.log(
    `skypipe --version start-up                       ${((await startupSeconds(sky)) * 1000).toFixed(0).padStart(8)} ms`,
  );
} finally {
  await broker.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
  await sky.close();
}
