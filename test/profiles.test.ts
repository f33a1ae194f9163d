// Profiles: `skypipe login` saves a broker once, and commands use it with no URL or password on
// their command line. The password goes to the OS keychain, or to a file only its owner reads when
// no keychain answers; never to the profiles file, argv, or a log.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { topicRoot } from '../src/protocol/topics.js';
import { consumerAttached, ForegroundBroker, freePort, Sky } from './harness.js';

const PASSWORD = 'erin-Secret-4f9e1';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A sky whose configuration (and home) is its own, with no D-Bus session, and a broker whose one
 * user is erin; with `tls`, listening on TLS too, with a self-signed certificate and its pin.
 */
function profileSky(tls = false) {
  const sky = new Sky();
  const config = join(sky.dir, 'config');
  sky.env.XDG_CONFIG_HOME = config;
  sky.env.HOME = join(sky.dir, 'home');
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'SKYPIPE_PROFILE', 'SKYPIPE_KEYCHAIN', 'SKYPIPE_PASSWORD'])
    delete sky.env[name];
  const setup = { sky, config, broker: undefined as unknown as ForegroundBroker, tlsPort: 0, pin: '' };
  before(async () => {
    mkdirSync(join(sky.dir, 'home', '.cache'), { recursive: true });
    const users = join(sky.dir, 'users');
    const added = await sky.run(['broker', 'user', 'add', 'erin', '--users', users], { input: `${PASSWORD}\n` });
    assert.equal(added.code, 0, added.stderr);
    const args = ['--users', users, '--log-level', 'debug'];
    if (tls) {
      const certs = join(sky.dir, 'tls');
      const made = await sky.run(['broker', 'cert', '--dir', certs, '--name', 'localhost']);
      assert.equal(made.code, 0, made.stderr);
      setup.pin = made.stdout.toString().trim();
      setup.tlsPort = await freePort();
      const files = ['--cert', join(certs, 'server.pem'), '--key', join(certs, 'server.key')];
      args.push('--tls-port', String(setup.tlsPort), ...files);
    }
    setup.broker = new ForegroundBroker(sky, join(sky.dir, 'broker-data'), args);
    await setup.broker.start();
  });
  after(async () => {
    if (setup.broker?.running) await setup.broker.kill('SIGTERM');
    await sky.close();
  });
  return setup;
}

describe('profiles without a keychain: the password in a private file', () => {
  const setup = profileSky();
  const { sky, config } = setup;
  const secrets = join(config, 'skypipe', 'secrets.json');
  const profilesFile = join(config, 'skypipe', 'profiles.json');
  const shown = () => `mqtt://erin@127.0.0.1:${setup.broker.port}`;

  it('logs in with the password on standard input, and send and recv need no URL nor password', async () => {
    const login = await sky.run(['login', shown(), '--name', 'home'], { input: `${PASSWORD}\n` });
    assert.equal(login.code, 0, login.stderr);
    const said = new RegExp(
      `^skypipe: no keychain answered \\([^\\n]+\\); passwords go to ${escape(secrets)}, readable only by you \\(SKYPIPE_KEYCHAIN=off says this is meant\\)\\nskypipe: saved profile 'home' \\(the default\\): ${escape(shown())}, password in ${escape(secrets)}\\n$`,
    );
    assert.match(login.stderr, said);
    assert.equal(statSync(join(config, 'skypipe')).mode & 0o777, 0o700);
    assert.equal(statSync(secrets).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(secrets, 'utf8')), { home: PASSWORD });
    const profiles = readFileSync(profilesFile, 'utf8');
    assert.ok(!profiles.includes(PASSWORD), 'no password in the profiles file');
    assert.deepEqual(JSON.parse(profiles), {
      default: 'home',
      profiles: [{ name: 'home', url: `mqtt://127.0.0.1:${setup.broker.port}`, secret: 'file', username: 'erin' }],
    });

    const receiver = sky.start(['recv', 'x']);
    const withPassword = `mqtt://erin:${encodeURIComponent(PASSWORD)}@127.0.0.1:${setup.broker.port}`;
    await consumerAttached(withPassword, 'x', topicRoot(undefined, 'erin')!);
    const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    assert.ok(processes.includes(`recv x`), 'ps lists the receiver');
    assert.ok(!processes.includes(PASSWORD), 'no password in ps');
    const sent = await sky.run(['send', 'x'], { input: 'hi\n' });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await receiver.result;
    assert.equal(received.code, 0, received.stderr);
    assert.equal(received.stdout.toString(), 'hi\n');
    const status = await sky.run(['status', '--json']);
    const report = JSON.parse(status.stdout.toString()) as { broker: { url: string; origin: string } };
    assert.deepEqual([report.broker.url, report.broker.origin], [shown(), "profile 'home'"]);
    const brokerStatus = (await sky.run(['broker', 'status'])).stdout.toString();
    assert.ok(
      brokerStatus.endsWith(`\ncommands use profile 'home': ${shown()} ('skypipe profiles' lists them)\n`),
      brokerStatus,
    );
    const log = setup.broker.running!.output().toString() + setup.broker.running!.stderrSoFar();
    assert.ok(log.includes('erin'), 'the broker logged the connections');
    assert.ok(!log.includes(PASSWORD), "no password in the broker's log");
  });

  it('takes flags over the environment over the profile, and never sends its password elsewhere', async () => {
    const refused = `the broker refused the username or password; check --username/--password or the URL`;
    const wrongInEnv = await sky.run(['send', 'p'], { input: 'a\n', env: { SKYPIPE_PASSWORD: 'wrong' } });
    assert.equal(wrongInEnv.code, 1);
    assert.equal(wrongInEnv.stderr, `skypipe: cannot use broker ${shown()} (from profile 'home'): ${refused}\n`);
    const flag = await sky.run(['send', 'p', '--password', PASSWORD], {
      input: 'flag\n',
      env: { SKYPIPE_PASSWORD: 'wrong' },
    });
    assert.equal(flag.code, 0, flag.stderr);
    const anonymous = `the broker requires a user name and password; give --username and --password (or SKYPIPE_USERNAME and SKYPIPE_PASSWORD)`;
    const bare = `mqtt://127.0.0.1:${setup.broker.port}`;
    const envUrl = await sky.run(['send', 'p'], { input: 'a\n', env: { SKYPIPE_URL: bare } });
    assert.equal(envUrl.stderr, `skypipe: cannot use broker ${bare} (from SKYPIPE_URL): ${anonymous}\n`);
    const flagUrl = await sky.run(['send', 'p', '--url', bare], { input: 'a\n' });
    assert.equal(flagUrl.stderr, `skypipe: cannot use broker ${bare} (from --url): ${anonymous}\n`);
    const chosen = await sky.run(['recv', 'p', '--profile', 'home'], { env: { SKYPIPE_URL: bare } });
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.equal(chosen.stdout.toString(), 'flag\n');
    const both = await sky.run(['send', 'p', '--profile', 'home', '--url', bare], { input: 'a\n' });
    assert.equal(both.code, 2);
    assert.equal(both.stderr, 'skypipe: --url and --profile exclude each other: give one broker\n');
    for (const [args, env, origin] of [
      [['--profile', 'nope'], {}, '--profile'],
      [[], { SKYPIPE_PROFILE: 'nope' }, 'SKYPIPE_PROFILE'],
    ] as const) {
      const missing = await sky.run(['send', 'p', ...args], { input: 'a\n', env });
      assert.equal(missing.code, 2);
      assert.equal(missing.stderr, `skypipe: ${origin}: no profile 'nope'; 'skypipe profiles' lists them\n`);
    }
  });

  it('refuses a password in the URL, hands the password on through a pipe, and logs out', async () => {
    const inUrl = await sky.run(['login', `mqtt://erin:${PASSWORD}@127.0.0.1:${setup.broker.port}`], { input: 'x\n' });
    assert.equal(inUrl.code, 2);
    assert.equal(
      inUrl.stderr,
      "skypipe: login: leave the password out of the URL, where ps and the shell's history would keep it; login asks for it, or reads it from standard input\n",
    );
    const listed = await sky.run(['profiles']);
    assert.equal(listed.stdout.toString(), `* home  ${shown()}  password in ${secrets}\n`);
    const where = await sky.run(['login', '--status']);
    assert.equal([where.code, where.stdout.toString()].join(' '), `0 home: password in ${secrets}\n`);

    // Another machine, here another configuration directory, with the keychain turned off.
    const elsewhere = join(sky.dir, 'elsewhere');
    const handed = sky.shell(
      `$SKYPIPE profiles --show-password home | XDG_CONFIG_HOME=${elsewhere} SKYPIPE_KEYCHAIN=off $SKYPIPE login '${shown()}' --name copy`,
    );
    const copied = await handed.result;
    assert.equal(copied.code, 0, copied.stderr);
    const copySecrets = join(elsewhere, 'skypipe', 'secrets.json');
    assert.equal(
      copied.stderr,
      `skypipe: saved profile 'copy' (the default): ${shown()}, password in ${copySecrets}\n`,
    );
    assert.deepEqual(JSON.parse(readFileSync(copySecrets, 'utf8')), { copy: PASSWORD });
    const viaCopy = await sky.run(['send', 'q'], { input: 'copied\n', env: { XDG_CONFIG_HOME: elsewhere } });
    assert.equal(viaCopy.code, 0, viaCopy.stderr);

    const out = await sky.run(['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, `skypipe: removed profile 'home' and its password from ${secrets}\n`);
    assert.deepEqual(JSON.parse(readFileSync(secrets, 'utf8')), {});
    assert.deepEqual(JSON.parse(readFileSync(profilesFile, 'utf8')), { default: null, profiles: [] });
    const none = await sky.run(['profiles']);
    assert.deepEqual(
      [none.code, none.stdout.toString(), none.stderr],
      [0, '', "skypipe: no profiles; 'skypipe login URL' saves one\n"],
    );
    const again = await sky.run(['logout']);
    assert.equal(again.code, 2);
    assert.equal(again.stderr, "skypipe: no default profile to log out of; 'skypipe profiles' lists them\n");
  });
});

describe('profiles files edited or damaged by hand', () => {
  const sky = new Sky();
  const dir = join(sky.dir, 'config', 'skypipe');
  sky.env.XDG_CONFIG_HOME = join(sky.dir, 'config');
  after(() => sky.close());
  const write = (file: string, text: string) => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, file), text, { mode: 0o600 });
  };

  it('finds no password for a profile named as an inherited key, and says a damaged file is damaged', async () => {
    write(
      'profiles.json',
      '{"default":"constructor","profiles":[{"name":"constructor","url":"mqtt://h:1883","username":"u","secret":"file"}]}',
    );
    write('secrets.json', '{}');
    const missing = await sky.run(['profiles', '--show-password', 'constructor']);
    assert.deepEqual(
      [missing.code, missing.stdout.toString(), missing.stderr],
      [
        1,
        '',
        `skypipe: the password of profile 'constructor' is missing from ${join(dir, 'secrets.json')}; run 'skypipe login' again\n`,
      ],
    );
    write('secrets.json', 'null');
    const damaged = await sky.run(['profiles', '--show-password', 'constructor']);
    assert.deepEqual(
      [damaged.code, damaged.stderr],
      [
        1,
        `skypipe: ${join(dir, 'secrets.json')} is damaged (not an object); remove it and log in again with 'skypipe login'\n`,
      ],
    );
    write('profiles.json', '{"default":null,"profiles":[{"name":"x","url":"mqtt://h:1883","secret":"somewhere"}]}');
    const odd = await sky.run(['profiles']);
    assert.deepEqual(
      [odd.code, odd.stderr],
      [
        1,
        `skypipe: ${join(dir, 'profiles.json')} is damaged (profile 'x' keeps its password nowhere known); remove it and log in again with 'skypipe login'\n`,
      ],
    );
  });
});

describe('an invitation to a TLS broker: user name and pin in the URL', () => {
  const setup = profileSky(true);

  it('logs in with the pin the invitation carries, and connects over TLS trusting it alone', async () => {
    const { sky, pin, tlsPort } = setup;
    const invitation = `mqtts://erin@localhost:${tlsPort}/?pin=${pin}`;
    const env = { SKYPIPE_KEYCHAIN: 'off' };
    const login = await sky.run(['login', invitation, '--name', 'tls'], { input: `${PASSWORD}\n`, env });
    assert.equal(login.code, 0, login.stderr);
    const secrets = join(setup.config, 'skypipe', 'secrets.json');
    const listed = await sky.run(['profiles']);
    assert.equal(
      listed.stdout.toString(),
      `* tls  mqtts://erin@localhost:${tlsPort}  pin ${pin}  password in ${secrets}\n`,
    );
    const sent = await sky.run(['send', 't'], { input: 'over tls\n' });
    assert.equal(sent.code, 0, sent.stderr);
    const received = await sky.run(['recv', 't']);
    assert.equal(received.stdout.toString(), 'over tls\n');
    const otherPin = `sha256:${'AB:'.repeat(31)}AB`;
    const wrongPin = await sky.run(['send', 't', '--pin', otherPin], { input: 'no\n' });
    assert.equal(wrongPin.code, 1);
    assert.match(
      wrongPin.stderr,
      /\(from profile 'tls'\): the broker's certificate does not match the pinned fingerprint/,
    );
    const plain = `mqtt://erin@localhost:${setup.broker.port}`;
    const refused = await sky.run(['login', `${plain}/?pin=${pin}`], { input: 'x\n' });
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      `skypipe: login: a pin is for brokers reached over TLS (mqtts:// or wss://), not ${plain.replace('erin@', '')}\n`,
    );
  });
});

/** Whether `command` is on the PATH. */
function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const KEYCHAIN_TOOLS = ['dbus-run-session', 'gnome-keyring-daemon', 'secret-tool'];
const missingTools = KEYCHAIN_TOOLS.filter((tool) => !installed(tool));

describe('profiles with a keychain: the Secret Service of gnome-keyring', () => {
  if (missingTools.length > 0 && process.env.CI !== 'true') {
    it.skip(`needs ${missingTools.join(', ')} (apt: dbus, gnome-keyring, libsecret-tools)`);
    return;
  }
  const setup = profileSky();
  const { sky, config } = setup;

  it('keeps the password in the keychain, not in a file, uses it, and removes it at logout', async () => {
    assert.deepEqual(missingTools, [], 'the keychain tools are installed');
    const url = `mqtt://erin@127.0.0.1:${setup.broker.port}`;
    // A session bus of its own, and a keyring daemon unlocked with a password on its standard input.
    const script = [
      'printf unlock | gnome-keyring-daemon --daemonize --unlock --components=secrets >/dev/null',
      `printf '%s\\n' "$ERIN" | $SKYPIPE login ${url} --name home`,
      'echo "keychain: $(secret-tool lookup service skypipe username home)"',
      'echo hi | $SKYPIPE send k',
      '$SKYPIPE recv k',
      '$SKYPIPE login --status',
      '$SKYPIPE logout',
      'echo "after logout: $(secret-tool lookup service skypipe username home)"',
    ].join('\n');
    const run = sky.shell(`exec dbus-run-session -- sh -c '${script.replace(/'/g, `'\\''`)}'`, {
      env: { ERIN: PASSWORD, XDG_DATA_HOME: join(sky.dir, 'home', 'data') },
    });
    const result = await run.result;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.toString(),
      `keychain: ${PASSWORD}\nhi\nhome: password in the keychain\nafter logout: \n`,
    );
    const said = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('skypipe:'))
      .join('\n');
    assert.equal(
      said,
      `skypipe: saved profile 'home' (the default): ${url}, password in the keychain\nskypipe: removed profile 'home' and its password from the keychain`,
    );
    assert.ok(!existsSync(join(config, 'skypipe', 'secrets.json')), 'no secrets file');
  });
});
