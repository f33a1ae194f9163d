// Brokers for the in-process tier: ours, started in the test's own process on a free port, and an
// aedes that drops the frames a test picks, as a broker over its queue limit does.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
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
  clearRefusedExactly((aedes as unknown as { persistence: OutgoingQueue }).persistence);
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

/** The part of an aedes persistence that holds a durable session's outgoing queue. */
interface OutgoingQueue {
  outgoingUpdate(client: Client, packet: Queued): Promise<void>;
  outgoingClearMessageId(client: Client, packet: Queued): Promise<Queued | undefined>;
}

/** A message as aedes queues it: `messageId` is its packet id, once it has one. */
interface Queued {
  brokerId: string;
  brokerCounter: number;
  messageId?: number | string;
}

/**
 * Makes aedes forget exactly the message that authorizeForward refused. For a durable session it
 * clears the refused message from the session's queue by its packet id, which that message has not
 * been given (aedes numbers a message only on its way out): the memory persistence then removes the
 * first queued message without one, which is another that is on its way out if two came in one
 * read. aedes then fails to number that one ("no such packet"), never sends it and closes the
 * connection: a frame the test chose to deliver is lost. Here the refused message gets a packet id
 * of its own first (outgoingUpdate finds it by brokerId and brokerCounter), and is cleared by it.
 */
function clearRefusedExactly(persistence: OutgoingQueue): void {
  const update = persistence.outgoingUpdate.bind(persistence);
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  persistence.outgoingClearMessageId = (client, packet) => {
    if (packet.messageId !== undefined) return clear(client, packet);
    // Never a real packet id (1-65535), so never another message's. The memory persistence does
    // each call at once: nothing (a reconnect's replay of the queue) comes between the two.
    const refused = { ...packet, messageId: `refused ${packet.brokerId} ${packet.brokerCounter}` };
    update(client, refused).catch(() => {}); // not in the session's queue (a retained message): nothing to clear
    return clear(client, refused);
  };
}
