// The sender's peak resident memory over the bulk runs, against the goal itself (an absolute
// bound) and what a bare node process takes.
import type { Figure } from '../context.js';
import { NotMeasured } from '../figure.js';
import { besideGoal, nodeBaselineBytes } from '../node-baseline.js';
import { mib, MIB } from '../stats.js';

const GOAL_MIB = 150;

export const senderMemory: Figure = {
  spec: {
    id: 'sender-memory',
    title: 'sender resident memory (peak)',
    unit: 'MiB',
    anchorName: `the goal, ${GOAL_MIB} MiB (node's own baseline beside it)`,
    better: 'lower',
    goalRatio: 1,
    goalText: `≤ ${GOAL_MIB} MiB`,
  },
  budgetSeconds: 20,
  async measure(context) {
    const peaks = context.senderPeaks;
    if (peaks.length === 0) throw new NotMeasured('no bulk run finished to watch a sender in');
    const highest = Math.max(...peaks.map(({ bytes }) => bytes));
    const baseline = await nodeBaselineBytes();
    return {
      value: highest / MIB,
      anchor: GOAL_MIB,
      anchorText: besideGoal(GOAL_MIB, 'node', baseline),
      notes: [
        `VmHWM of \`skypipe send\` in the bulk runs (${context.settings.bulkMiB} MiB, default 32M capacity): ${peaks.map(({ where, bytes }) => `${where} ${mib(bytes)}`).join(', ')}`,
        `${(highest / baseline).toFixed(1)}× the ${mib(baseline)} of a bare \`node -e\``,
      ],
    };
  },
};
