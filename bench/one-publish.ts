// The anchor of a one-line send, run as a process of its own as skypipe is: a bare MQTT.js client
// that connects, publishes one message at QoS 1 and ends. Arguments: broker URL, topic.
import mqtt from 'mqtt';

const [url, topic] = process.argv.slice(2) as [string, string];
const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
await client.publishAsync(topic, 'hi\n', { qos: 1 });
await client.endAsync();
