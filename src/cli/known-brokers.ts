import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeTarget, type BrokerTarget } from '../client/index.js';
import { stateDir } from './state-dir.js';

/**
 * Brokers found to speak MQTT 3.1.1 only, by address, with when that was seen: a client then skips
 * trying MQTT 5 first, which costs such a broker a refused connection on every command. An entry
 * is trusted for a day, so that a broker upgraded to MQTT 5 is found out.
 */
const FILE = 'brokers-3.1.1.json';
const TRUSTED_FOR_MS = 24 * 60 * 60 * 1000;

type Seen = Record<string, number>;

function read(dir: string): Seen {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(dir, FILE), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Seen) : {};
  } catch {
    return {};
  }
}

/**
 * Sets `target` to speak MQTT 3.1.1 if it was seen to refuse MQTT 5 lately, and has it remembered
 * when it is seen to. Remembering is a saving, never a need: a state directory that cannot be
 * written is passed over in silence.
 */
export function recallProtocol(target: BrokerTarget, dir = stateDir()): BrokerTarget {
  const key = describeTarget(target);
  const seenAt = read(dir)[key];
  if (typeof seenAt === 'number' && Date.now() - seenAt < TRUSTED_FOR_MS) target.protocolVersion = 4;
  target.speaksOnly311 = () => {
    try {
      const seen = { ...read(dir), [key]: Date.now() };
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const partial = join(dir, `${FILE}.${process.pid}`);
      writeFileSync(partial, JSON.stringify(seen), { mode: 0o600 });
      renameSync(partial, join(dir, FILE));
    } catch {
      // Read-only home, full disk: the next command tries MQTT 5 first again.
    }
  };
  return target;
}
