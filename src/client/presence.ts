import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import { readRetained } from './retained.js';
import type { PipeTopics } from './topics.js';

/** The retained record of the receiver that consumes a pipe. */
export interface Presence {
  id: string;
  host: string;
  pid: number;
}

export function encodePresence(presence: Presence): Buffer {
  return Buffer.from(JSON.stringify(presence));
}

/** Parses a presence record; an empty payload means nobody, and a foreign payload is reported. */
export function decodePresence(payload: Buffer, warn: (message: string) => void): Presence | null {
  if (payload.length === 0) return null;
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    if (typeof value === 'object' && value !== null && typeof (value as Presence).id === 'string') {
      const record = value as Partial<Presence>;
      return { id: record.id!, host: String(record.host ?? '?'), pid: Number(record.pid ?? 0) };
    }
  } catch {
    // fall through to the warning
  }
  warn('ignoring a foreign message on the presence topic');
  return null;
}

export function ownPresence(id: string): Presence {
  return { id, host: hostname(), pid: process.pid };
}

/** Knows, and keeps knowing, whether a receiver consumes a pipe. */
export class PresenceWatch {
  current: Presence | null = null;
  private readonly listeners = new Set<(presence: Presence | null) => void>();

  static async start(client: MqttClient, topics: PipeTopics, warn: (message: string) => void): Promise<PresenceWatch> {
    const watch = new PresenceWatch();
    const retained = await readRetained(client, topics.presence, topics.echo(client.options.clientId!), true);
    watch.current = retained === null ? null : decodePresence(retained, warn);
    client.on('message', (topic, payload) => {
      if (topic !== topics.presence) return;
      watch.current = decodePresence(payload, warn);
      for (const listener of watch.listeners) listener(watch.current);
    });
    return watch;
  }

  onChange(listener: (presence: Presence | null) => void): void {
    this.listeners.add(listener);
  }
}
