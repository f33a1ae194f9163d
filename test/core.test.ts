// The core suite (the original's examples, streams, pipe semantics) on every broker.
import { describe } from 'node:test';
import { BROKERS, brokerTest, missingBroker } from './brokers.js';
import { skyForSuite } from './harness.js';
import { originalExamples } from './suites/examples.js';
import { pipeSemantics } from './suites/pipe-semantics.js';
import { streams } from './suites/streams.js';

for (const broker of BROKERS) {
  describe(`on ${broker.name}`, () => {
    if (broker.missing !== undefined) {
      missingBroker('the core suite', broker.name, broker.missing);
      return;
    }
    const sky = skyForSuite(broker.url);
    originalExamples(sky, brokerTest);
    streams(sky, brokerTest, broker.bulkMiB);
    pipeSemantics(sky, brokerTest);
  });
}
