// What skypipe says to an HTTP proxy, and how long it listens to one: loopback servers that play
// the proxy record the CONNECT request and answer it as a test needs (refuse it, or trickle a
// header that never ends).
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { parseBrokerUrl, parseProxyUrl } from '../src/client/index.js';
import { connect } from '../src/client/transport/connection.js';
import { DEFAULT_TRANSPORT_TIMINGS } from '../src/client/transport/timings.js';
import { Sky } from './harness.js';

/** A proxy on a loopback port that hands each CONNECT request's head to `answer`. */
class PlayedProxy {
  readonly requests: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(answer: (socket: Socket) => void) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.removeListener('data', onData);
        this.requests.push(head.slice(0, head.indexOf('\r\n\r\n')));
        answer(socket);
      };
      socket.on('data', onData);
      socket.on('error', () => {});
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

describe('talking to an HTTP proxy', { timeout: 30_000 }, () => {
  const sky = new Sky();
  for (const name of ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy']) {
    delete sky.env[name];
    delete sky.env[name.toUpperCase()];
  }
  const proxies: PlayedProxy[] = [];
  const played = (answer: (socket: Socket) => void) => {
    const proxy = new PlayedProxy(answer);
    proxies.push(proxy);
    return proxy;
  };
  after(async () => {
    for (const proxy of proxies) proxy.close();
    await sky.close();
  });

  it("asks for a wss:// broker's default port, 443, when its URL names none", async () => {
    const refusing = played((socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const proxy = await refusing.listen();
    const result = await sky.run(['recv', 'wire', '--url', 'wss://broker.example', '--proxy', proxy]);
    assert.equal(refusing.requests[0]?.split('\r\n')[0], 'CONNECT broker.example:443 HTTP/1.1');
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `skypipe: cannot reach broker wss://broker.example/ (from --url) through proxy ${proxy} (from --proxy): the proxy refused to connect to broker.example:443 (403 Forbidden); it may not allow port 443: ask for it\n`,
    );
  });

  it('never prints the password of a proxy URL it cannot read', async () => {
    const result = await sky.run(['recv', 'wire', '--url', 'mqtt://broker.example'], {
      env: { HTTP_PROXY: 'http://alice:se/cr@t@pr oxy:3128' },
    });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      "skypipe: HTTP_PROXY: 'http://alice@pr oxy:3128' is not a proxy URL; use http://HOST:PORT or socks5h://HOST:PORT\n",
    );
  });

  it('gives up within the connect timeout on a proxy that trickles its answer', { timeout: 10_000 }, async () => {
    let lines = 0;
    const trickling = played((socket) => {
      socket.write('HTTP/1.1 200 Connection established\r\n');
      // One header line every 200 ms: the connection is never idle, and the answer never ends.
      const timer = setInterval(() => socket.write(`X-Trickle: ${++lines}\r\n`), 200);
      socket.once('close', () => clearInterval(timer));
    });
    const proxy = await trickling.listen();
    const target = parseBrokerUrl('mqtt://broker.example', '--url');
    target.proxy = parseProxyUrl(proxy, '--proxy');
    const timings = { ...DEFAULT_TRANSPORT_TIMINGS, connectTimeoutMs: 1000 };
    await assert.rejects(connect(target, { clientId: 'sprtrickle', clean: true }, timings), {
      message: `cannot reach proxy ${proxy} (from --proxy): no answer within 1 s`,
    });
    assert.equal(trickling.requests[0]?.split('\r\n')[0], 'CONNECT broker.example:1883 HTTP/1.1');
    assert.ok(lines >= 2, `the proxy trickled ${lines} lines before skypipe gave up`);
  });
});
