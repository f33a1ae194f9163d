/** A byte count for a message: exact below 1 MiB, in MiB with one decimal above. */
export function describeBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
