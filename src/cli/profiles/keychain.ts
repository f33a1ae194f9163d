import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The keychain entries' service name; the account is the profile's name. */
const SERVICE = 'skypipe';

/**
 * A keychain that has not answered by then is taken for absent. On Linux the Secret Service can
 * leave a call waiting (a daemon that hangs, an unlock prompt nobody sees), and the library's
 * constructor blocks its thread while it talks to D-Bus: so every call runs in a worker thread
 * that is given up on, never awaited forever.
 */
export const KEYCHAIN_TIMEOUT_MS = 10_000;

export type KeychainCall =
  { op: 'get'; account: string } | { op: 'set'; account: string; password: string } | { op: 'delete'; account: string };

// Runs in the worker: CommonJS, given the addon's resolved path. On Linux the entry is pinned to
// the Secret Service: the library would otherwise fall back to the kernel keyring, which forgets
// everything at logout or reboot.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { AsyncEntry } = require(workerData.module);
(async () => {
  const { call, service } = workerData;
  const entry = new AsyncEntry(service, call.account, { linux: { store: 'secret-service' } });
  if (call.op === 'get') return entry.getPassword();
  if (call.op === 'set') return entry.setPassword(call.password).then(() => null);
  return entry.deleteCredential();
})().then(
  (value) => parentPort.postMessage({ ok: true, value }),
  (error) => parentPort.postMessage({ ok: false, message: String(error && error.message ? error.message : error) }),
);
`;

/** Why the keychain could not do what was asked, in words for the user. */
export class KeychainUnavailable extends Error {}

/**
 * Does `call` on the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through @napi-rs/keyring, which is loaded only here. Resolves with the password (get),
 * null (get: none stored), or whether one was deleted.
 */
export function keychain(call: KeychainCall): Promise<string | boolean | null> {
  let module: string;
  try {
    module = createRequire(import.meta.url).resolve('@napi-rs/keyring');
  } catch {
    return Promise.reject(new KeychainUnavailable('@napi-rs/keyring is not installed'));
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { module, call, service: SERVICE } });
    const timer = setTimeout(() => {
      // A worker stuck in the addon cannot be stopped; unref'd, it does not keep skypipe running.
      worker.unref();
      void worker.terminate();
      reject(new KeychainUnavailable(`no answer within ${KEYCHAIN_TIMEOUT_MS / 1000} s`));
    }, KEYCHAIN_TIMEOUT_MS);
    worker.once('message', (reply: { ok: boolean; value?: string | boolean | null; message?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (reply.ok) resolve(reply.value ?? null);
      else reject(new KeychainUnavailable(oneLine(reply.message ?? 'unknown failure')));
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(new KeychainUnavailable(oneLine(error.message)));
    });
  });
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
