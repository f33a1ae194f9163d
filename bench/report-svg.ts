// The figures as an SVG chart a person can look at: one bar per figure, its ratio to its anchor on
// a log scale, as the ratios span decades, with the goal marked on the same row.
import { goalText, type FigureResult } from './figure.js';
import { number, ratioText } from './report-table.js';
import type { RunInfo } from './run-info.js';

const WIDTH = 1060;
const LABELS = 330;
const PLOT_LEFT = LABELS + 10;
const PLOT_RIGHT = 880;
const TOP = 78;
const ROW = 50;
const BAR = 18;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

/** Whole decades that hold every ratio and goal, and at least 0.01× to 100×. */
function decades(results: FigureResult[]): [number, number] {
  const values = results.flatMap((result) => [result.goalRatio, ...(result.ratio === null ? [] : [result.ratio])]);
  const low = Math.min(-2, Math.floor(Math.log10(Math.min(...values))));
  // Room to the right of the longest bar for its label.
  const high = Math.max(2, Math.ceil(Math.log10(Math.max(...values) * 4)));
  return [low, high];
}

export function chart(results: FigureResult[], info: RunInfo): string {
  const [low, high] = decades(results);
  const x = (ratio: number) =>
    PLOT_LEFT + ((Math.log10(Math.max(ratio, 10 ** low)) - low) / (high - low)) * (PLOT_RIGHT - PLOT_LEFT);
  const height = TOP + results.length * ROW + 50;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    text(
      12,
      24,
      `skypipe bench: ratio to anchor, log scale (${info.branch} at ${info.commit}, ${info.startedAt})`,
      'font-size="16" font-weight="bold"',
    ),
    text(
      12,
      44,
      `bar: skypipe ÷ anchor (memory: ÷ the goal); green where the goal is met; dashed line: the goal`,
      'fill="#555"',
    ),
    text(
      12,
      62,
      `load: ${info.loadBefore.replace(/.*load average:/, '')} at start, ${info.loadAfter.replace(/.*load average:/, '')} at end`,
      'fill="#555"',
    ),
  ];
  const bottom = TOP + results.length * ROW;
  for (let decade = low; decade <= high; decade++) {
    const at = x(10 ** decade);
    const stroke = decade === 0 ? '#888' : '#ddd';
    parts.push(`<line x1="${at}" y1="${TOP - 6}" x2="${at}" y2="${bottom}" stroke="${stroke}"/>`);
    parts.push(text(at, bottom + 18, `${10 ** decade}×`, 'text-anchor="middle" fill="#555"'));
  }
  results.forEach((result, index) => {
    const middle = TOP + index * ROW + ROW / 2;
    const [verdict, colour] =
      result.met === null ? ['not measured', '#777'] : result.met ? ['met', '#2e7d32'] : ['not met', '#c62828'];
    parts.push(text(12, middle - 3, result.title, 'font-weight="bold"'));
    if (result.value !== null && result.anchor !== null)
      parts.push(
        text(
          12,
          middle + 14,
          `${number(result.value)} vs ${result.anchorText ?? number(result.anchor)} ${result.unit}`,
          'fill="#555"',
        ),
      );
    if (result.ratio === null) {
      parts.push(
        text(
          PLOT_LEFT + 4,
          middle + 4,
          clip(`not measured: ${result.notMeasured ?? ''}`, 80),
          'fill="#777" font-style="italic"',
        ),
      );
    } else {
      const end = x(result.ratio);
      parts.push(
        `<rect x="${PLOT_LEFT}" y="${middle - BAR / 2}" width="${(end - PLOT_LEFT).toFixed(1)}" height="${BAR}" fill="${colour}"/>`,
      );
      const goalX = x(result.goalRatio);
      parts.push(
        `<line x1="${goalX.toFixed(1)}" y1="${middle - ROW / 2 + 4}" x2="${goalX.toFixed(1)}" y2="${middle + ROW / 2 - 4}" stroke="black" stroke-width="2" stroke-dasharray="4 3"/>`,
      );
      // Drawn over the goal line, with a white outline that keeps it legible where they cross.
      parts.push(
        text(
          end + 5,
          middle + 4,
          ratioText(result.ratio),
          `fill="${colour}" font-weight="bold" stroke="white" stroke-width="3" paint-order="stroke"`,
        ),
      );
    }
    parts.push(text(PLOT_RIGHT + 20, middle - 3, `goal ${goalText(result)}`));
    parts.push(text(PLOT_RIGHT + 20, middle + 14, verdict, `fill="${colour}"`));
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
