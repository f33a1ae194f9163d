// The bench's figures as a plain-text table, each beside its anchor, with the notes under it.
import { goalText, type FigureResult } from './figure.js';
import type { RunInfo } from './run-info.js';

export function number(value: number): string {
  const size = Math.abs(value);
  return value.toFixed(size >= 100 ? 0 : size >= 10 ? 1 : 2);
}

export function ratioText(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

function row(result: FigureResult): string[] {
  const goal = goalText(result);
  if (result.value === null || result.anchor === null)
    return [result.title, `not measured: ${result.notMeasured ?? 'unknown'}`, '', '', goal, '-'];
  const anchor = result.anchorText ?? number(result.anchor);
  return [
    result.title,
    `${number(result.value)} ${result.unit}`,
    `${anchor} ${result.unit}`,
    result.ratio === null ? '-' : ratioText(result.ratio),
    goal,
    result.met === null ? '-' : result.met ? 'yes' : 'NO',
  ];
}

export function table(results: FigureResult[], info: RunInfo): string {
  const header = ['figure', 'skypipe', 'anchor', 'ratio', 'goal', 'met'];
  const rows = results.map(row);
  // A not-measured row's reason spans the value columns: it does not set their width.
  const widths = header.map((title, column) =>
    Math.max(
      title.length,
      ...rows.filter((cells) => cells[2] !== '' || column !== 1).map((cells) => cells[column]!.length),
    ),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const lines = [
    `skypipe bench, ${info.startedAt}, ${info.branch} at ${info.commit}, node ${info.node}, ${info.cpus} cores`,
    `load at start: ${info.loadBefore}`,
    `load at end:   ${info.loadAfter}`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((cells) =>
      cells[2] === '' ? `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]}  (goal ${cells[4]})` : line(cells),
    ),
    '',
    ...results.flatMap((result) => [
      `${result.title} (${result.seconds.toFixed(0)} s): anchor is ${result.anchorName}`,
      ...result.notes.map((note) => `  ${note}`),
    ]),
    '',
    `wall time ${info.wallSeconds.toFixed(0)} s`,
  ];
  return lines.join('\n');
}
