// One line at a time through something with a stdin and a stdout, each timed from its write to its
// arrival: the one-line figure's samples, for skypipe and for what runs beside it.
import type { Writable } from 'node:stream';
import type { OutputWatch } from './output-watch.js';
import type { Scope } from './scope.js';

const LINE_TIMEOUT_MS = 10_000;

/** Milliseconds per line for `samples` lines, after a first one that waits for the start and is no sample. */
export async function lineTimes(
  stdin: Writable,
  output: OutputWatch,
  samples: number,
  scope: Scope,
): Promise<number[]> {
  stdin.write('first\n');
  await output.next('first\n', 30_000);
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    scope.check();
    const text = `line ${sample}\n`;
    const started = performance.now();
    stdin.write(text);
    await output.next(text, LINE_TIMEOUT_MS);
    times.push(performance.now() - started);
  }
  return times;
}
