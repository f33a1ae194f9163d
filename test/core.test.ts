// The core suite (the original's examples, streams, pipe semantics) on every broker.
import { describe, it } from 'node:test';
import { BROKERS, testsFor } from './brokers.js';
import { skyForSuite } from './harness.js';
import { originalExamples } from './suites/examples.js';
import { pipeSemantics } from './suites/pipe-semantics.js';
import { streams } from './suites/streams.js';

for (const broker of BROKERS) {
  describe(`on ${broker.name}`, () => {
    if (broker.missing !== undefined) {
      console.warn(`WARNING: the core suite does not run on ${broker.name}: ${broker.missing}`);
      it.skip(`SKIPPED: ${broker.missing}`);
      return;
    }
    const sky = skyForSuite(broker.url);
    const test = testsFor(broker);
    originalExamples(sky, test);
    streams(sky, test, broker.bulkMiB);
    pipeSemantics(sky, test);
  });
}
