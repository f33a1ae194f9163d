// What every figure gets: the bench's settings, the shared brokers, and what earlier figures found.
import type { Brokers } from './brokers.js';
import type { FigureSpec, Measurement } from './figure.js';
import type { Scope } from './scope.js';

export interface Settings {
  /** BENCH_MIB: the bulk stream. */
  bulkMiB: number;
  /** BENCH_BROKER_MIB: what goes through the broker before its memory is read. */
  brokerMiB: number;
  /** BENCH_SLOW_MIB: the stream behind a slow receiver. */
  slowMiB: number;
  /** BENCH_SENDERS: the senders into one receiver. */
  senders: number;
  /** BENCH_DEADLINE_S: the whole bench stops measuring after this. */
  deadlineSeconds: number;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, not '${raw}'`);
  return value;
}

export function readSettings(): Settings {
  return {
    bulkMiB: positive('BENCH_MIB', 256),
    brokerMiB: positive('BENCH_BROKER_MIB', 1024),
    slowMiB: positive('BENCH_SLOW_MIB', 96),
    senders: positive('BENCH_SENDERS', 1000),
    deadlineSeconds: positive('BENCH_DEADLINE_S', 870),
  };
}

export interface Context {
  settings: Settings;
  brokers: Brokers;
  /** Peak resident memory of the senders of the bulk figures, for the memory figure. */
  senderPeaks: { where: string; bytes: number }[];
}

export interface Figure {
  spec: FigureSpec;
  /** The most this figure may take; a figure past it is stopped and reported not measured. */
  budgetSeconds: number;
  measure(context: Context, scope: Scope): Promise<Measurement>;
}
