// Brokers for the in-process tier: ours, started in the test's own process on a free port, and an
// aedes that drops the frames a test picks, as a broker over its queue limit does.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { decodeFrame, type Frame } from '../../src/protocol/frame.js';
import { BrokerDir } from '../broker/in-process-broker.js';

/** A broker the tests reach at `url`. */
export interface LocalBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** skypipe's broker as `skypipe broker` runs it, with durable storage in a directory of its own. */
export async function startOurBroker(): Promise<LocalBroker> {
  const dir = new BrokerDir();
  const broker = await dir.start({ access: null, limits: { maximumPacketSize: 2 * 1024 * 1024 }, version: VERSION });
  return {
    url: broker.url,
    port: broker.port,
    close: async () => {
      await broker.close();
      dir.remove();
    },
  };
}

/**
 * A plain aedes (sessions in memory) that drops the frames `drops` picks on their way to a client,
 * and forgets them, as Mosquitto does with messages past its queue limit: the sender had its
 * acknowledgement. Other messages (records, markers) go through.
 */
export async function startDroppingBroker(drops: (clientId: string, frame: Frame) => boolean): Promise<LocalBroker> {
  const aedes = await Aedes.createBroker({
    preConnect: (client, _packet, callback) => {
      // As in our broker (src/broker/server.ts): one broker needs no filter of out-of-order
      // messages, and with it aedes would drop some.
      (client as unknown as { duplicates: object }).duplicates = new Proxy({}, { get: () => 0, set: () => true });
      callback(null, true);
    },
    authorizeForward: (client, packet) => {
      let frame: Frame;
      try {
        frame = decodeFrame(packet.payload as Buffer);
      } catch {
        return packet; // not a frame
      }
      return frame.type !== 'sync' && drops(client.id, frame) ? null : packet;
    },
  });
  const server: Server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
