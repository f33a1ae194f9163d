// Which proxy a broker is reached through: --proxy, the *_PROXY variables and NO_PROXY by curl's
// conventions, loopback straight; and proxy URLs never shown with their password.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBrokerUrl, parseProxyUrl, PipeError, portOf } from '../src/client/index.js';
import { describeProxy } from '../src/client/transport/proxy.js';
import { chooseProxy } from '../src/cli/proxy-choice.js';

/** The chosen proxy as "URL (from ORIGIN)", or null for none. */
function chosen(broker: string, env: NodeJS.ProcessEnv, flag?: string): string | null {
  const proxy = chooseProxy(parseBrokerUrl(broker, '--url'), flag, env);
  return proxy === undefined ? null : `${proxy.url} (from ${proxy.origin})`;
}

describe('choosing a proxy', () => {
  const env = { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128', ALL_PROXY: 'socks5h://any:1080' };

  it('takes HTTPS_PROXY for TLS, HTTP_PROXY for plain, ALL_PROXY for either', () => {
    assert.equal(chosen('mqtts://far.example', env), 'http://secure:3128 (from HTTPS_PROXY)');
    assert.equal(chosen('wss://far.example', env), 'http://secure:3128 (from HTTPS_PROXY)');
    assert.equal(chosen('mqtt://far.example', env), 'http://plain:3128 (from HTTP_PROXY)');
    assert.equal(chosen('ws://far.example', env), 'http://plain:3128 (from HTTP_PROXY)');
    assert.equal(chosen('mqtts://far.example', { ALL_PROXY: 'socks5h://any' }), 'socks5h://any:1080 (from ALL_PROXY)');
    assert.equal(chosen('mqtt://far.example', {}), null);
  });

  it('prefers the lower-case variables, and treats empty ones as unset', () => {
    assert.equal(
      chosen('mqtts://far.example', { https_proxy: 'lower:8080', HTTPS_PROXY: 'http://upper:3128' }),
      'http://lower:8080 (from https_proxy)',
    );
    assert.equal(
      chosen('mqtts://far.example', { https_proxy: '', ALL_PROXY: 'http://all:1' }),
      'http://all:1 (from ALL_PROXY)',
    );
  });

  it('goes straight to loopback brokers, unless --proxy says otherwise', () => {
    for (const broker of ['mqtt://127.0.0.1:1883', 'mqtt://127.1.2.3', 'mqtt://[::1]:1883', 'mqtt://localhost'])
      assert.equal(chosen(broker, { ...env, https_proxy: 'x', http_proxy: 'x', all_proxy: 'x' }), null, broker);
    assert.equal(chosen('mqtt://127.0.0.1:1883', env, 'socks5://p'), 'socks5://p:1080 (from --proxy)');
  });

  it('lets --proxy win over the variables, and --proxy "" turn the proxy off', () => {
    assert.equal(chosen('mqtts://far.example', env, 'https://me:pw@p:8443'), 'https://me:pw@p:8443 (from --proxy)');
    assert.equal(chosen('mqtts://far.example', env, ''), null);
    assert.equal(chosen('mqtts://far.example', { ...env, NO_PROXY: '*' }, 'http://p'), 'http://p (from --proxy)');
  });

  it('skips the proxy for what NO_PROXY names: *, names with their subdomains, ports, addresses, blocks', () => {
    const through = (broker: string, noProxy: string) => chosen(broker, { ...env, no_proxy: noProxy }) !== null;
    assert.equal(through('mqtts://far.example', '*'), false);
    assert.equal(through('mqtts://far.example', 'near.example, far.example'), false);
    assert.equal(through('mqtts://broker.far.example', 'far.example'), false);
    assert.equal(through('mqtts://broker.far.example', '.far.example'), false);
    assert.equal(through('mqtts://notfar.example', 'far.example'), true);
    assert.equal(through('mqtts://far.example:8883', 'far.example:8883'), false);
    assert.equal(through('mqtts://far.example', 'far.example:8883'), false);
    assert.equal(through('mqtts://far.example:8884', 'far.example:8883'), true);
    assert.equal(through('mqtt://10.1.2.3', '10.1.2.3'), false);
    assert.equal(through('mqtt://10.1.2.3', '10.0.0.0/8'), false);
    assert.equal(through('mqtt://11.1.2.3', '10.0.0.0/8'), true);
    assert.equal(through('mqtt://[2001:db8::5]', '2001:db8::/32'), false);
    assert.equal(through('mqtt://[2001:db8::5]:1883', '[2001:db8::5]:1883'), false);
  });

  it('reads bare and bracketed IPv6 entries, in any spelling, and a port only after brackets', () => {
    const through = (broker: string, noProxy: string) => chosen(broker, { ...env, no_proxy: noProxy }) !== null;
    assert.equal(through('mqtt://[2001:db8::5]', '2001:db8::5'), false);
    assert.equal(through('mqtt://[2001:db8::5]:1234', '2001:db8::5'), false);
    assert.equal(through('mqtt://[2001:db8::5]', '2001:DB8:0:0::5'), false);
    assert.equal(through('mqtt://[2001:db8::5]', '[2001:db8::5]'), false);
    assert.equal(through('mqtt://[2001:db8::5]', '[2001:db8::5]:1883'), false);
    assert.equal(through('mqtt://[2001:db8::5]', '[2001:db8::5]:1884'), true);
    assert.equal(through('mqtt://[2001:db8::6]', '2001:db8::5'), true);
    assert.equal(through('mqtt://[2001:db8::5]', '2001:db8::/32'), false);
    assert.equal(through('mqtt://[2001:db9::5]', '2001:db8::/32'), true);
  });

  it("compares an entry's port with the scheme's default port when the URL names none", () => {
    const through = (broker: string, noProxy: string) => chosen(broker, { ...env, no_proxy: noProxy }) !== null;
    assert.equal(through('wss://far.example', 'far.example:443'), false);
    assert.equal(through('wss://far.example:443', 'far.example:443'), false);
    assert.equal(through('ws://far.example', 'far.example:80'), false);
    assert.equal(through('mqtt://far.example', 'far.example:1883'), false);
    assert.equal(through('wss://far.example', 'far.example:8443'), true);
    assert.equal(through('ws://far.example', 'far.example:443'), true);
  });

  it('reads addresses in any spelling: 127.1 is 127.0.0.1, ::ffff:127.0.0.1 is loopback', () => {
    const through = (broker: string, noProxy = '') =>
      chosen(broker, { ...env, http_proxy: 'x', https_proxy: 'x', no_proxy: noProxy }) !== null;
    for (const broker of [
      'mqtt://127.1',
      'mqtt://127.255.255.254:1883',
      'mqtts://0x7f.1',
      'ws://[::ffff:127.0.0.1]',
      'mqtt://[::ffff:127.0.0.1]:1883',
      'wss://[::FFFF:7F00:1]',
      'mqtt://[0:0:0:0:0:0:0:1]',
      'ws://LOCALHOST',
      'mqtt://broker.localhost',
    ])
      assert.equal(through(broker), false, broker);
    for (const broker of ['mqtt://128.0.0.1', 'ws://[::ffff:10.0.0.1]', 'mqtt://[::2]', 'mqtt://localhost.example'])
      assert.equal(through(broker), true, broker);
    assert.equal(through('mqtt://10.1', '10.0.0.1'), false);
    assert.equal(through('mqtt://10.0.0.1', '10.1'), false);
    assert.equal(through('mqtt://10.1.2.3', '1.2.3'), true);
    assert.equal(through('mqtt://FAR.example', 'far.EXAMPLE'), false);
  });
});

describe('proxy URLs', () => {
  it('takes http://, https://, socks5:// and socks5h://, and a bare host:port as http://', () => {
    assert.equal(parseProxyUrl('proxy.example:3128', 'HTTPS_PROXY').url, 'http://proxy.example:3128');
    assert.equal(parseProxyUrl('https://proxy.example', '--proxy').url, 'https://proxy.example');
    assert.equal(parseProxyUrl('socks5://proxy.example', '--proxy').url, 'socks5://proxy.example:1080');
    assert.throws(
      () => parseProxyUrl('socks4://me:pw@proxy.example', 'ALL_PROXY'),
      new PipeError(
        "ALL_PROXY: proxy scheme 'socks4:' is not supported; use http://, https://, socks5:// or socks5h://",
        'usage',
      ),
    );
  });

  it('never shows the password', () => {
    const proxy = parseProxyUrl('http://al%40ice:p%3Ass@proxy.example:3128', 'HTTPS_PROXY');
    assert.equal(describeProxy(proxy), 'http://al%40ice@proxy.example:3128 (from HTTPS_PROXY)');
    assert.throws(
      () => parseProxyUrl('http://me:secret@[bad', '--proxy'),
      (error: Error) => !error.message.includes('secret') && error.message.includes('me@'),
    );
  });

  it("never echoes the password of a URL it cannot read, whatever it holds ('/', '@', ':')", () => {
    const refusal = (shown: string, origin: string) =>
      new PipeError(`${origin}: '${shown}' is not a proxy URL; use http://HOST:PORT or socks5h://HOST:PORT`, 'usage');
    const cases: [string, string][] = [
      ['http://user:se/cret@pr oxy:3128', 'http://user@pr oxy:3128'],
      ['http://user:p@ss@pr oxy:3128', 'http://user@pr oxy:3128'],
      ['http://user:p:a/s@s@pr oxy:3128', 'http://user@pr oxy:3128'],
      ['user:se/cret@pr oxy:3128', 'user@pr oxy:3128'],
      ['socks5h://:se/cret@pr oxy', 'socks5h://pr oxy'],
    ];
    for (const [raw, shown] of cases) {
      assert.throws(() => parseProxyUrl(raw, '--proxy'), refusal(shown, '--proxy'), raw);
      assert.throws(() => chosen('mqtts://far.example', { HTTPS_PROXY: raw }), refusal(shown, 'HTTPS_PROXY'), raw);
      assert.throws(() => chosen('mqtt://far.example', { all_proxy: raw }), refusal(shown, 'all_proxy'), raw);
    }
  });

  it('never echoes the password of a broker URL it cannot read', () => {
    assert.throws(
      () => parseBrokerUrl('mqtt://alice:se/cr@t@bro ker:1883', '--url'),
      new PipeError(
        "--url: 'mqtt://alice@bro ker:1883' is not a URL; use mqtt://HOST:PORT (or mqtts://, ws://, wss://)",
        'usage',
      ),
    );
  });
});

describe('broker ports', () => {
  it("fills in each scheme's default port, which URL leaves out for ws:// and wss://", () => {
    assert.equal(portOf('mqtt://far.example'), 1883);
    assert.equal(portOf('mqtts://far.example'), 8883);
    assert.equal(portOf('ws://far.example'), 80);
    assert.equal(portOf('wss://far.example'), 443);
    assert.equal(portOf(new URL('wss://far.example:443/')), 443);
    assert.equal(portOf('wss://far.example:8443'), 8443);
    assert.equal(portOf(parseBrokerUrl('wss://far.example', '--url').url), 443);
    assert.equal(portOf(parseBrokerUrl('ws://far.example:80', '--url').url), 80);
    assert.equal(portOf(parseBrokerUrl('mqtts://far.example', '--url').url), 8883);
  });
});
