/**
 * The broker's log as a person reads it on a terminal: one line per record, time, level, message,
 * then the record's fields as name=value. Scripts and collectors get pino's JSON (the default when
 * standard output is not a terminal, or with --log-format json).
 */
export type LogFormat = 'json' | 'text';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text'];

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Fields every record has, shown in the line's own places or not at all. */
const PLACED = new Set(['level', 'time', 'pid', 'name', 'msg', 'hostname']);

function showValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

/** One JSON log line as text; a line that is not a JSON object is left as it is. */
export function textLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  if (typeof record !== 'object' || record === null) return jsonLine;
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString().replace('T', ' ').slice(0, 23) : '';
  const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !PLACED.has(key))
    .map(([key, value]) => `${key}=${showValue(value)}`);
  return `${[time, level, String(record.msg ?? ''), ...fields].join(' ').trimEnd()}\n`;
}
