// npm run bench: the figures of the speed issue, each beside an anchor measured in the same run on
// this machine, printed as a table and written as JSON and an SVG chart into bench-results/.
// Every figure is bounded in time and the whole bench stops measuring at BENCH_DEADLINE_S.
import { Brokers } from './brokers.js';
import { readSettings, type Context, type Figure } from './context.js';
import { measured, NotMeasured, notMeasured, type FigureResult } from './figure.js';
import { brokerMemory } from './figures/broker-memory.js';
import { bulkMosquitto, bulkOurs } from './figures/bulk.js';
import { fanInFigure } from './figures/fan-in.js';
import { idleSend } from './figures/idle-send.js';
import { line } from './figures/line.js';
import { senderMemory } from './figures/sender-memory.js';
import { startup } from './figures/startup.js';
import { writeResults } from './report-files.js';
import { table } from './report-table.js';
import { runInfo, uptime } from './run-info.js';
import { within } from './scope.js';

/** In the order; the sender's memory is read from the bulk runs before it. */
const ALL_FIGURES: Figure[] = [
  bulkOurs,
  bulkMosquitto,
  line,
  idleSend,
  startup,
  senderMemory,
  brokerMemory,
  fanInFigure,
];
/** BENCH_FIGURES: the ids of the figures to measure, comma-separated (default all). */
const chosen = process.env.BENCH_FIGURES?.split(',').filter((id) => id !== '');
const FIGURES = chosen?.length ? ALL_FIGURES.filter(({ spec }) => chosen.includes(spec.id)) : ALL_FIGURES;
/** A figure with less than this left of the whole bench's time is not started. */
const LEAST_SECONDS = 10;

async function runFigure(figure: Figure, context: Context, secondsLeft: number): Promise<FigureResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  if (secondsLeft < LEAST_SECONDS) return notMeasured(figure.spec, "the bench's time ran out", 0);
  try {
    const found = await within(Math.min(figure.budgetSeconds, secondsLeft) * 1000, (scope) =>
      figure.measure(context, scope),
    );
    return measured(figure.spec, found, elapsed());
  } catch (error) {
    const reason = error instanceof NotMeasured ? error.message : `failed: ${(error as Error).message}`;
    return notMeasured(figure.spec, reason.replace(/\s+/g, ' '), elapsed());
  }
}

const settings = readSettings();
const info = runInfo(settings);
const started = performance.now();
const context: Context = { settings, brokers: new Brokers(), senderPeaks: [] };
console.log(`skypipe bench: ${FIGURES.length} figures, at most ${settings.deadlineSeconds} s; ${info.loadBefore}`);
const results: FigureResult[] = [];
try {
  for (const figure of FIGURES) {
    const secondsLeft = settings.deadlineSeconds - (performance.now() - started) / 1000;
    console.log(
      `# ${figure.spec.title}: measuring (up to ${Math.round(Math.min(figure.budgetSeconds, secondsLeft))} s)`,
    );
    const result = await runFigure(figure, context, secondsLeft);
    console.log(`# ${figure.spec.title}: ${result.notMeasured ?? 'done'} (${result.seconds.toFixed(1)} s)`);
    results.push(result);
  }
} finally {
  await context.brokers.close();
}
info.loadAfter = uptime();
info.wallSeconds = (performance.now() - started) / 1000;
console.log(`\n${table(results, info)}\n`);
const files = writeResults(results, info);
console.log(`JSON:  ${files.json}\nchart: ${files.svg}`);
// Clients and timers of figures that ran out of time may still hold the event loop.
process.exit(0);
