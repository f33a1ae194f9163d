// One figure of the speed issue's goals: skypipe's value beside an anchor measured in the same run,
// their ratio, and whether the ratio meets the goal.

/** Which way a ratio is better: throughput up, time and memory down. */
export type Better = 'higher' | 'lower';

export interface FigureSpec {
  id: string;
  /** Short, for the table. */
  title: string;
  /** Unit of both values. */
  unit: string;
  /** What the anchor is, for the notes. */
  anchorName: string;
  better: Better;
  /** The goal on the ratio skypipe / anchor. */
  goalRatio: number;
  /** The goal as the issue says it, when not as a ratio (absolute memory). */
  goalText?: string;
}

/** What a measurement found. */
export interface Measurement {
  value: number;
  anchor: number;
  /** Shown instead of the anchor's value, when there is more to say (memory: the goal and node's own). */
  anchorText?: string;
  notes?: string[];
}

export interface FigureResult extends FigureSpec {
  value: number | null;
  anchor: number | null;
  anchorText: string | null;
  ratio: number | null;
  met: boolean | null;
  /** Why there is no value, when there is none. */
  notMeasured: string | null;
  notes: string[];
  seconds: number;
}

/** Thrown by a measurement that cannot be made here: the figure says why and the bench goes on. */
export class NotMeasured extends Error {}

export function measured(spec: FigureSpec, found: Measurement, seconds: number): FigureResult {
  const ratio = found.value / found.anchor;
  const met = spec.better === 'higher' ? ratio >= spec.goalRatio : ratio <= spec.goalRatio;
  return {
    ...spec,
    value: found.value,
    anchor: found.anchor,
    anchorText: found.anchorText ?? null,
    ratio: Number.isFinite(ratio) ? ratio : null,
    met: Number.isFinite(ratio) ? met : null,
    notMeasured: Number.isFinite(ratio) ? null : `the anchor measured ${found.anchor}`,
    notes: found.notes ?? [],
    seconds,
  };
}

export function notMeasured(spec: FigureSpec, reason: string, seconds: number, notes: string[] = []): FigureResult {
  return {
    ...spec,
    value: null,
    anchor: null,
    anchorText: null,
    ratio: null,
    met: null,
    notMeasured: reason,
    notes,
    seconds,
  };
}

export function goalText(spec: FigureSpec): string {
  return spec.goalText ?? `${spec.better === 'higher' ? '≥' : '≤'} ${spec.goalRatio}×`;
}
