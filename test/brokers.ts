// The brokers the core suite runs on. Ours always; the others when `npm test` could start them
// (scripts/run-tests.mjs puts their URLs in the environment).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ExternalKind } from './external-brokers.js';

/** Defines one test of a suite. */
export type TestFn = (name: string, body: () => Promise<void>) => void;

export interface BrokerUnderTest {
  name: string;
  /** Undefined for our own broker (each sky starts its local broker). */
  url: string | undefined;
  /** Undefined for our own broker. */
  kind?: ExternalKind;
  /** Why the broker is not here, when it is not. */
  missing?: string;
  /** Size of the bulk stream test, in MiB. */
  bulkMiB: number;
}

/** A test that hangs fails after this, so one broker's trouble cannot stall the whole run. */
const TEST_TIMEOUT_MS = 240_000;

export const brokerTest: TestFn = (name, body) => it(name, { timeout: TEST_TIMEOUT_MS }, body);

/** brokerTest where the broker shows a known problem (`issue`): it runs as a TODO, which reports a failure without failing the run. */
export const knownIssueTest =
  (issue: string): TestFn =>
  (name, body) =>
    it(name, { timeout: TEST_TIMEOUT_MS, todo: issue }, body);

/**
 * Stands in for a suite that cannot run because its broker is missing: a loud skip locally, a
 * failure under CI, which runs every broker.
 */
export function missingBroker(suite: string, broker: string, reason: string): void {
  console.warn(`WARNING: ${suite} does not run on ${broker}: ${reason}`);
  if (process.env.CI === 'true')
    it(`runs on ${broker}`, () => assert.fail(`${reason}; CI runs every broker (see .ci/run)`));
  else it.skip(`SKIPPED: ${reason}`);
}

const EXTERNAL: (Omit<BrokerUnderTest, 'url'> & { kind: ExternalKind; variable: string })[] = [
  { name: 'mosquitto', kind: 'mosquitto', variable: 'SKYPIPE_TEST_MOSQUITTO_URL', bulkMiB: 64 },
  {
    name: 'nats',
    kind: 'nats',
    variable: 'SKYPIPE_TEST_NATS_URL',
    bulkMiB: 64,
  },
  {
    name: 'rabbitmq',
    kind: 'rabbitmq',
    variable: 'SKYPIPE_TEST_RABBITMQ_URL',
    bulkMiB: 64,
  },
];

/** SKYPIPE_TEST_BROKERS=nats,mosquitto runs the suites on those brokers only (`skypipe` is ours). */
const chosen = process.env.SKYPIPE_TEST_BROKERS?.split(',').map((name) => name.trim());

export const BROKERS: BrokerUnderTest[] = [
  { name: 'skypipe (aedes)', url: undefined, bulkMiB: 256 },
  ...EXTERNAL.map(({ variable, ...broker }): BrokerUnderTest => {
    const url = process.env[variable];
    return url
      ? { ...broker, url }
      : { ...broker, url, missing: `${variable} is not set: ${broker.name} is not installed or did not start` };
  }),
].filter((broker) => chosen === undefined || chosen.includes(broker.name.split(' ')[0]!));
