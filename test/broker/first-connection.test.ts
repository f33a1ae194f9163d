// A box that starts before its broker (or its network) is up: given a window for its first
// connection, a sender tries again until the broker answers, and its stream goes through; without
// one, it names the broker at once. An in-process broker comes up on the port the sender tries.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  DEFAULT_SEND_SETTINGS,
  parseBrokerUrl,
  pipeTopics,
  receive,
  send,
  type BrokerTarget,
  type PipeError,
} from '../../src/client/index.js';
import { freePort, until } from '../harness.js';
import { BrokerDir } from './in-process-broker.js';

const brokers = new BrokerDir();
const topics = pipeTopics('booting');

/** Takes each connection and drops it, as a host whose broker is still starting; counts them. */
async function dropEveryConnection(port: number): Promise<{ attempts: () => number; server: Server }> {
  let attempts = 0;
  const server = createServer((socket) => {
    attempts += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { attempts: () => attempts, server };
}

const closeServer = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

function targetAt(port: number): BrokerTarget {
  return { ...parseBrokerUrl(`mqtt://127.0.0.1:${port}`, '--url'), protocolVersion: 4 };
}

const sendLine = (target: BrokerTarget, firstConnectWindowMs: number) =>
  send({
    target,
    topics,
    input: Readable.from([Buffer.from('booted\n')]),
    settings: DEFAULT_SEND_SETTINGS,
    events: { warn: () => {} },
    // No probe of what the port speaks after a failure: it would count as more attempts here.
    timings: { firstConnectWindowMs, reconnectEveryMs: 50, schemeProbeMs: 0 },
  });

describe('a first connection before the broker is up', { timeout: 30_000 }, () => {
  after(() => brokers.remove());

  it('is tried again within its window, and the stream goes through once the broker answers', async () => {
    const port = await freePort();
    const early = await dropEveryConnection(port);
    const sending = sendLine(targetAt(port), 20_000);
    try {
      await until(() => early.attempts() >= 2, 'the sender to try twice');
    } finally {
      await closeServer(early.server);
    }
    const broker = await brokers.start({ listeners: [{ kind: 'mqtt', host: '127.0.0.1', port }], access: null });
    try {
      assert.equal(await sending, 7);
      const output = new PassThrough();
      const chunks: Buffer[] = [];
      output.on('data', (chunk: Buffer) => chunks.push(chunk));
      await receive({ target: targetAt(port), topics, output, follow: false, events: { warn: () => {} } });
      assert.equal(Buffer.concat(chunks).toString(), 'booted\n');
    } finally {
      await broker.close();
    }
  });

  it('is tried once without a window, and fails naming the broker', async () => {
    const port = await freePort();
    const early = await dropEveryConnection(port);
    try {
      const error = await sendLine(targetAt(port), 0).then(
        () => assert.fail('it succeeded'),
        (thrown: PipeError) => thrown,
      );
      assert.equal(early.attempts(), 1);
      assert.equal(
        error.message,
        `cannot reach broker mqtt://127.0.0.1:${port} (from --url): the broker closed the connection during the handshake; if that port speaks TLS, use mqtts:// or wss://`,
      );
    } finally {
      await closeServer(early.server);
    }
  });
});
