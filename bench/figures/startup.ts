// Start-up: `skypipe --version` beside `node -e 0`, both whole processes.
import type { Figure } from '../context.js';
import { timedRun } from '../process-time.js';
import { median } from '../stats.js';
import { SKYPIPE } from '../../test/harness.js';

const SAMPLES = 11;

export const startup: Figure = {
  spec: {
    id: 'startup',
    title: '`skypipe --version`',
    unit: 'ms',
    anchorName: 'node -e 0',
    better: 'lower',
    goalRatio: 1.5,
  },
  budgetSeconds: 45,
  async measure(_context, scope) {
    const skypipe: number[] = [];
    const node: number[] = [];
    // Round 0 warms the disk cache and is not a sample; turns alternate.
    for (let round = 0; round <= SAMPLES; round++) {
      scope.check();
      const version = await timedRun(process.execPath, [SKYPIPE, '--version']);
      const bare = await timedRun(process.execPath, ['-e', '0']);
      if (round === 0) continue;
      skypipe.push(version);
      node.push(bare);
    }
    return { value: median(skypipe), anchor: median(node), notes: [`median of ${SAMPLES} each`] };
  },
};
