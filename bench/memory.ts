// Resident memory of a process from /proc (Linux). VmHWM is the kernel's own peak, so sampling it
// misses nothing but the last interval before the process exits.
import { readFileSync } from 'node:fs';

export type MemoryField = 'VmRSS' | 'VmHWM';

/** The field of /proc/PID/status in bytes, or null once the process is gone. */
export function residentBytes(pid: number, field: MemoryField): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/** The highest value of a field seen while a process runs, read every `everyMs`. */
export class PeakMemory {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly field: MemoryField,
    everyMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    const bytes = residentBytes(this.pid, this.field);
    if (bytes !== null) this.peak = Math.max(this.peak, bytes);
  }

  /** Stops sampling (after one last sample) and gives the peak in bytes. */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}
