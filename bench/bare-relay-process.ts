// A bare MQTT.js relay in skypipe's place, as a person might write one by hand: one process reads
// its stdin and publishes it at QoS 1, another subscribes and writes to its stdout. No frames,
// checks, records or pipe semantics. Figures run it beside skypipe to show what two processes and
// their pipes cost before any of skypipe's own work.
//   node bare-relay-process.js receive URL TOPIC   ("ready" on stderr once subscribed)
//   node bare-relay-process.js send URL TOPIC
import mqtt from 'mqtt';

const MESSAGE_BYTES = 1024 * 1024;
/** As the bulk anchor: at most this many QoS 1 messages unacknowledged. */
const IN_FLIGHT = 16;

function connect(url: string): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
}

/** Writes each message to stdout; an empty one ends the stream. */
async function receive(url: string, topic: string): Promise<void> {
  const client = await connect(url);
  await client.subscribeAsync(topic, { qos: 1 });
  client.on('message', (_topic, payload) => {
    if (payload.length > 0) return void process.stdout.write(payload);
    process.stdout.end(() => void client.endAsync());
  });
  process.stderr.write('ready\n');
}

/**
 * Publishes what it reads: at once while fewer than IN_FLIGHT messages are unacknowledged, else
 * gathered into messages of up to 1 MiB; then an empty message.
 */
async function send(url: string, topic: string): Promise<void> {
  const client = await connect(url);
  let inFlight = 0;
  let acknowledged = () => {};
  const publish = async (message: Buffer) => {
    while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (acknowledged = resolve));
    inFlight += 1;
    client.publish(topic, message, { qos: 1 }, () => {
      inFlight -= 1;
      acknowledged();
    });
  };
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    gathered.push(chunk);
    gatheredBytes += chunk.length;
    if (gatheredBytes < MESSAGE_BYTES && inFlight >= IN_FLIGHT) continue;
    await publish(Buffer.concat(gathered, gatheredBytes));
    gathered = [];
    gatheredBytes = 0;
  }
  if (gatheredBytes > 0) await publish(Buffer.concat(gathered, gatheredBytes));
  await client.publishAsync(topic, Buffer.alloc(0), { qos: 1 });
  await client.endAsync();
}

const [mode, url, topic] = process.argv.slice(2);
if ((mode !== 'send' && mode !== 'receive') || url === undefined || topic === undefined) {
  process.stderr.write('usage: bare-relay-process.js send|receive URL TOPIC\n');
  process.exit(2);
}
await (mode === 'send' ? send(url, topic) : receive(url, topic));
