/** Sizes, rates and durations as a person at a terminal reads them. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** The value in the largest binary unit it reaches, and that unit. */
function scaled(bytes: number): { value: number; unit: string } {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return { value, unit: UNITS[unit]! };
}

/** A byte count: exact below 1 KiB, else with one decimal (`12 B`, `3.4 MiB`). */
export function formatBytes(bytes: number): string {
  const { value, unit } = scaled(bytes);
  return `${unit === 'B' ? value : value.toFixed(1)} ${unit}`;
}

/** A rate, with at most 3 significant digits (`6.34 B/s`, `512 KiB/s`). */
export function formatRate(bytesPerSecond: number): string {
  const { value, unit } = scaled(Number.isFinite(bytesPerSecond) ? bytesPerSecond : 0);
  return `${Number(value.toPrecision(3))} ${unit}/s`;
}

/** A duration: milliseconds below a second, tenths below a minute, then minutes and seconds, then hours and minutes. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}
