// Small sample statistics for the timed figures.

export function median(samples: number[]): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function worst(samples: number[]): number {
  return Math.max(...samples);
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(0)} MiB`;
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}
