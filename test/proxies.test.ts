// Out through proxies: real tinyproxy (HTTP CONNECT) and danted (SOCKS5) on loopback, and our
// broker behind them. The clients name the broker broker.skypipe.test, which only the proxies can
// look up (each runs with a /etc/hosts of its own, in a mount namespace: see proxy-servers.ts), so
// a stream that arrives came through a proxy. Every refusal reads as one line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { missingBroker } from './brokers.js';
import { killGroup } from './process-groups.js';
import {
  BROKER_HOST,
  danted,
  missingProxies,
  stunnel,
  tinyproxy,
  withHosts,
  writeHosts,
  type RunningProxy,
} from './proxy-servers.js';
import { ForegroundBroker, freePort, SKYPIPE, Sky, startProcess } from './harness.js';

const PROXY_VARIABLES = ['http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'].flatMap((name) => [
  name,
  name.toUpperCase(),
]);

const sky = new Sky();
const missing = missingProxies(sky.dir);

describe('out through proxies', { timeout: 120_000 }, () => {
  if (missing !== null) {
    missingBroker('the proxy suite', 'tinyproxy and danted', missing);
    after(() => sky.close());
    return;
  }
  for (const name of PROXY_VARIABLES) delete sky.env[name];
  let pin = '';
  let broker: ForegroundBroker;
  const urls = { mqtt: '', mqtts: '', ws: '', wss: '' };
  const proxies: Record<'open' | 'portsOnly443' | 'withLogin' | 'socks' | 'overTls', RunningProxy | undefined> = {
    overTls: undefined,
    open: undefined,
    portsOnly443: undefined,
    withLogin: undefined,
    socks: undefined,
  };
  const http = (name: keyof typeof proxies, login = '') => `http://${login}127.0.0.1:${proxies[name]!.port}`;

  before(async () => {
    writeHosts(sky.dir);
    const certs = join(sky.dir, 'tls');
    const made = await sky.run(['broker', 'cert', '--dir', certs, '--name', BROKER_HOST]);
    assert.equal(made.code, 0, made.stderr);
    pin = made.stdout.toString().trim();
    const [tls, ws, wss] = [await freePort(), await freePort(), await freePort()];
    broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), [
      ...['--tls-port', String(tls), '--ws-port', String(ws), '--wss-port', String(wss)],
      ...['--cert', join(certs, 'server.pem'), '--key', join(certs, 'server.key')],
    ]);
    await broker.start();
    urls.mqtt = `mqtt://${BROKER_HOST}:${broker.port}`;
    urls.mqtts = `mqtts://${BROKER_HOST}:${tls}`;
    urls.ws = `ws://${BROKER_HOST}:${ws}`;
    urls.wss = `wss://${BROKER_HOST}:${wss}`;
    proxies.open = await tinyproxy(sky.dir, 'open');
    proxies.portsOnly443 = await tinyproxy(sky.dir, 'ports-only-443', ['ConnectPort 443']);
    proxies.withLogin = await tinyproxy(sky.dir, 'with-login', ['BasicAuth alice s3cret']);
    proxies.socks = await danted(sky.dir, 'socks');
    // The https:// proxy's certificate, from a CA of its own that the clients are told of.
    const proxyCerts = join(sky.dir, 'proxy-tls');
    const proxyCa = await sky.run(['broker', 'cert', '--dir', proxyCerts, '--name', 'localhost']);
    assert.equal(proxyCa.code, 0, proxyCa.stderr);
    proxies.overTls = await stunnel(
      sky.dir,
      'over-tls',
      proxies.open.port,
      join(proxyCerts, 'server.pem'),
      join(proxyCerts, 'server.key'),
    );
  });
  after(async () => {
    for (const proxy of Object.values(proxies)) if (proxy !== undefined) killGroup(proxy.process.child, 'SIGKILL');
    await broker?.kill('SIGTERM');
    await sky.close();
  });

  /** Sends `data` on one URL and proxy setting, receives it on another, and checks every byte. */
  async function carries(name: string, from: string[], to: string[], env: NodeJS.ProcessEnv[] = [{}, {}]) {
    const data = randomBytes(256 * 1024 + 3);
    const sent = await sky.run(['send', name, ...from], { input: data, env: env[0]! });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await sky.run(['recv', name, ...to], { env: env[1]! });
    assert.equal(received.code, 0, received.stderr);
    assert.ok(received.stdout.equals(data), `byte for byte (${received.stdout.length} of ${data.length} bytes)`);
  }

  it('cannot look the broker up without a proxy', async () => {
    await assert.rejects(lookup(BROKER_HOST), { code: /ENOTFOUND|EAI_AGAIN/ });
  });

  it('carries mqtt:// and pinned mqtts:// through HTTP CONNECT (--proxy, HTTPS_PROXY)', async () => {
    await carries(
      'mqtt-connect',
      ['--url', urls.mqtt, '--proxy', http('open')],
      ['--url', urls.mqtts, '--pin', pin],
      [{}, { HTTPS_PROXY: http('open') }],
    );
  });

  it('carries ws:// and pinned wss:// through HTTP CONNECT (http_proxy, ALL_PROXY)', async () => {
    await carries(
      'ws-connect',
      ['--url', urls.ws],
      ['--url', urls.wss, '--pin', pin],
      [{ http_proxy: http('open') }, { ALL_PROXY: http('open') }],
    );
  });

  it('carries pinned mqtts:// and ws:// through SOCKS5, the proxy looking the name up (socks5h://)', async () => {
    const socks = `socks5h://127.0.0.1:${proxies.socks!.port}`;
    await carries(
      'socks',
      ['--url', urls.mqtts, '--pin', pin, '--proxy', socks],
      ['--url', urls.ws],
      [{}, { ALL_PROXY: socks }],
    );
  });

  it('reaches an https:// proxy over TLS, checking its certificate', async () => {
    const proxy = `https://localhost:${proxies.overTls!.port}`;
    const trusted = { NODE_EXTRA_CA_CERTS: join(sky.dir, 'proxy-tls', 'ca.pem') };
    await carries(
      'https-proxy',
      ['--url', urls.ws, '--proxy', proxy],
      ['--url', urls.wss, '--pin', pin, '--proxy', proxy],
      [trusted, trusted],
    );
    const untrusted = await sky.run(['recv', 'https-proxy', '--url', urls.mqtt, '--proxy', proxy]);
    assert.equal(untrusted.code, 1);
    assert.equal(
      untrusted.stderr,
      `skypipe: cannot reach proxy ${proxy} (from --proxy): its TLS certificate is not signed by a CA this machine trusts (NODE_EXTRA_CA_CERTS=FILE adds one)\n`,
    );
  });

  it('checks the certificate through the tunnel as it does without one', async () => {
    const unpinned = await sky.run(['recv', 'tls-checked', '--url', urls.wss, '--proxy', http('open')]);
    assert.equal(unpinned.code, 1);
    assert.equal(
      unpinned.stderr,
      `skypipe: cannot use broker ${urls.wss}/ (from --url) through proxy ${http('open')} (from --proxy): the broker's TLS certificate is not signed by a CA this machine trusts; pin it with --pin (the fingerprint 'skypipe broker cert' printed) or give its CA with --ca FILE\n`,
    );
  });

  it('says so in one line when the proxy refuses the port (403)', async () => {
    // A rule of the proxy's holds next time too: no use trying again for the minute given.
    const refused = await sky.run(['send', 'refused', '--url', urls.mqtts, '--pin', pin, '--reconnect-for', '1m'], {
      input: 'x',
      env: { HTTPS_PROXY: http('portsOnly443') },
    });
    assert.equal(refused.code, 1);
    const port = new URL(urls.mqtts).port;
    assert.equal(
      refused.stderr,
      `skypipe: cannot reach broker ${urls.mqtts} (from --url) through proxy ${http('portsOnly443')} (from HTTPS_PROXY): the proxy refused to connect to ${BROKER_HOST}:${port} (403 Access violation); it may not allow port ${port}: ask for it, or use wss:// on port 443\n`,
    );
  });

  it('asks for credentials when the proxy does (407), and works with them, never showing the password', async () => {
    const withoutLogin = await sky.run(['send', 'login', '--url', urls.ws, '--proxy', http('withLogin')], {
      input: 'x',
    });
    assert.equal(withoutLogin.code, 1);
    assert.equal(
      withoutLogin.stderr,
      `skypipe: cannot reach broker ${urls.ws}/ (from --url) through proxy ${http('withLogin')} (from --proxy): the proxy asks for credentials (407 Proxy Authentication Required); put user:password@ in the proxy URL\n`,
    );
    const wrong = await sky.run(['send', 'login', '--url', urls.ws], {
      input: 'x',
      env: { HTTP_PROXY: http('withLogin', 'alice:wrong-secret@') },
    });
    assert.equal(wrong.code, 1);
    assert.equal(
      wrong.stderr,
      `skypipe: cannot reach broker ${urls.ws}/ (from --url) through proxy ${http('withLogin', 'alice@')} (from HTTP_PROXY): the proxy refused the credentials in its URL (401 Unauthorized); check user:password@ there\n`,
    );
    await carries(
      'login',
      ['--url', urls.wss, '--pin', pin, '--proxy', http('withLogin', 'alice:s3cret@')],
      ['--url', urls.mqtt, '--proxy', http('withLogin', 'alice:s3cret@')],
    );
  });

  it("words a SOCKS server's refusal by its reply code", async () => {
    const socks = `socks5h://127.0.0.1:${proxies.socks!.port}`;
    const port = await freePort();
    const result = await sky.run(['recv', 'socks-refused', '--url', `mqtt://${BROKER_HOST}:${port}`, '--proxy', socks]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `skypipe: cannot reach broker mqtt://${BROKER_HOST}:${port} (from --url) through proxy ${socks} (from --proxy): the SOCKS proxy refused to connect to ${BROKER_HOST}:${port}: connection refused at the broker; is the broker running and the port right?\n`,
    );
  });

  it('names an unreachable proxy, and how to go without it', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const result = await sky.run(['recv', 'dead', '--url', urls.mqtt], { env: { ALL_PROXY: dead } });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      `skypipe: cannot reach proxy ${dead} (from ALL_PROXY): connection refused; check the proxy's address, or go straight to the broker with --proxy ''\n`,
    );
  });

  it('goes straight to brokers NO_PROXY names, and to loopback, whatever the variables say', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    // This sender looks the broker's name up itself, as the proxies do.
    const send = (env: NodeJS.ProcessEnv) => {
      const [command, args] = withHosts(join(sky.dir, 'hosts'), [
        ...[process.execPath, SKYPIPE, 'send', 'bypass', '--url', urls.mqtts, '--pin', pin],
      ]);
      return startProcess(command, args, { env: { ...sky.env, HTTPS_PROXY: dead, ...env }, input: 'straight\n' })
        .result;
    };
    const proxied = await send({ NO_PROXY: `${BROKER_HOST}:1` });
    assert.equal(proxied.code, 1);
    assert.match(
      proxied.stderr,
      /^skypipe: cannot reach proxy http:\/\/127\.0\.0\.1:\d+ \(from HTTPS_PROXY\): connection refused;/,
    );
    const bypassed = await send({ NO_PROXY: 'example.org,.skypipe.test' });
    assert.equal(bypassed.code, 0, bypassed.stderr);
    const received = await sky.run(['recv', 'bypass', '--url', broker.url], {
      env: { ALL_PROXY: dead, HTTP_PROXY: dead },
    });
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'straight\n');
  });
});
