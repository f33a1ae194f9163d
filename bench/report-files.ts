// Writes a run's figures as JSON and as an SVG chart into bench-results/, one pair per run, so
// that a before and an after can be kept side by side.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FigureResult } from './figure.js';
import { chart } from './report-svg.js';
import type { RunInfo } from './run-info.js';

export const RESULTS_DIR = 'bench-results';

export function writeResults(results: FigureResult[], info: RunInfo): { json: string; svg: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stem = resolve(RESULTS_DIR, `bench-${info.startedAt.replace(/[:.]/g, '-')}-${info.commit}`);
  const json = `${stem}.json`;
  const svg = `${stem}.svg`;
  writeFileSync(json, JSON.stringify({ ...info, figures: results }, null, 2) + '\n');
  writeFileSync(svg, chart(results, info));
  return { json, svg };
}
