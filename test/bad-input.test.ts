// Bad input of every kind gets a one-line reason and the documented exit code, never a stack trace.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { freePort, skyForSuite, type Result } from './harness.js';

function assertOneLine(result: Result, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.stderr);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

describe('bad input', () => {
  const sky = skyForSuite();

  it('reports a broker that refuses connections', async () => {
    const port = await freePort();
    const result = await sky.run(['send', 'x', '--url', `mqtt://127.0.0.1:${port}`], { input: 'data' });
    assertOneLine(
      result,
      1,
      new RegExp(
        `^skypipe: cannot reach broker mqtt://127\\.0\\.0\\.1:${port} \\(from --url\\): connection refused; is the broker running and the port right\\?\\n$`,
      ),
    );
  });

  it('gives up on a broker that never answers within 10 s', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const result = await sky.run(['recv', 'x'], { env: { SKYPIPE_URL: `mqtt://127.0.0.1:${port}` } });
    const elapsed = Date.now() - started;
    for (const socket of sockets) socket.destroy();
    silent.close();
    assertOneLine(
      result,
      1,
      /^skypipe: cannot reach broker mqtt:\/\/127\.0\.0\.1:\d+ \(from SKYPIPE_URL\): no route or no answer; check the address and the network\n$/,
    );
    assert.ok(elapsed < 12_000, `gave up after ${elapsed} ms`);
  });

  for (const [url, pattern] of [
    [
      'nonsense',
      /^skypipe: --url: 'nonsense' is not a URL; use mqtt:\/\/HOST:PORT \(or mqtts:\/\/, ws:\/\/, wss:\/\/\)\n$/,
    ],
    [
      'http://example.net',
      /^skypipe: --url: scheme 'http:' is not supported; use mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/\n$/,
    ],
    ['mqtt://:1883', /^skypipe: --url: 'mqtt:\/\/:1883' is not a URL/],
  ] as const) {
    it(`refuses the malformed URL ${url}`, async () => {
      assertOneLine(await sky.run(['send', 'x', '--url', url], { input: 'data' }), 2, pattern);
    });
  }

  it('names what a port speaks when the URL asks for something else: a web server here', async () => {
    const web = createHttpServer((_request, response) => response.end('a web page\n'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const { port } = web.address() as { port: number };
    try {
      const asMqtt = await sky.run(['send', 'x', '--url', `mqtt://127.0.0.1:${port}`], { input: 'data' });
      assertOneLine(
        asMqtt,
        1,
        new RegExp(
          `^skypipe: cannot use broker mqtt://127\\.0\\.0\\.1:${port} \\(from --url\\): that port speaks HTTP \\(a WebSocket listener, or a web server\\): use ws://\\n$`,
        ),
      );
      const asWebSocket = await sky.run(['send', 'x', '--url', `ws://127.0.0.1:${port}/mqtt`], { input: 'data' });
      assertOneLine(
        asWebSocket,
        1,
        new RegExp(
          `^skypipe: cannot use broker ws://127\\.0\\.0\\.1:${port}/mqtt \\(from --url\\): that port speaks HTTP but did not take MQTT over WebSocket at /mqtt: check the port and the path\\n$`,
        ),
      );
    } finally {
      web.close();
    }
  });

  it('refuses unknown options and bad sizes as usage errors', async () => {
    assertOneLine(
      await sky.run(['recv', 'x', '--bogus']),
      2,
      /^skypipe: Unknown argument: bogus; see skypipe recv --help\n$/,
    );
    assertOneLine(
      await sky.run(['send', 'x', '--capacity', 'lots'], { input: 'x' }),
      2,
      /^skypipe: --capacity: 'lots' is not a size/,
    );
    assertOneLine(
      await sky.run(['broker', '--port', 'http']),
      2,
      /^skypipe: --port: 'http' is not a port number \(0-65535, or off\)\n$/,
    );
    assertOneLine(
      await sky.run(['broker', '--tls-port', '70000']),
      2,
      /^skypipe: --tls-port: '70000' is not a port number \(0-65535, or off\)\n$/,
    );
    assertOneLine(
      await sky.run(['send', 'x', '--frame-size', '100'], { input: 'x' }),
      2,
      /^skypipe: --frame-size: '100' is not between 1K and 1M\n$/,
    );
    assertOneLine(
      await sky.run(['broker', '--redis', 'http://cache']),
      2,
      /^skypipe: --redis: 'http:\/\/cache' is not a Redis URL; use redis:\/\/\[USER:PASSWORD@\]HOST\[:PORT\]\[\/DB\]\n$/,
    );
    assertOneLine(
      await sky.run(['broker', '--redis', 'redis://cache', '--data-dir', 'here']),
      2,
      /^skypipe: --data-dir and --redis exclude each other: the data is in one place\n$/,
    );
  });
});
