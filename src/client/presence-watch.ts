import { hostname } from 'node:os';
import type { MqttClient } from 'mqtt';
import { decodePresence, type Presence } from '../protocol/presence.js';
import type { PipeTopics } from '../protocol/topics.js';
import { readRetained } from './transport/retained.js';

export function ownPresence(id: string): Presence {
  return { id, host: hostname(), pid: process.pid };
}

/** Knows, and keeps knowing, whether a receiver consumes a pipe. */
export class PresenceWatch {
  current: Presence | null = null;
  /** When the record last came: at the start, then each time a consumer publishes it. */
  lastHeardAt = Date.now();
  private readonly listeners = new Set<(presence: Presence | null) => void>();

  static async start(client: MqttClient, topics: PipeTopics, warn: (message: string) => void): Promise<PresenceWatch> {
    const watch = new PresenceWatch();
    const retained = await readRetained(client, topics.presence, topics.echo(client.options.clientId!), true);
    watch.current = retained === null ? null : decodePresence(retained, warn);
    client.on('message', (topic, payload) => {
      if (topic !== topics.presence) return;
      watch.current = decodePresence(payload, warn);
      watch.lastHeardAt = Date.now();
      for (const listener of watch.listeners) listener(watch.current);
    });
    return watch;
  }

  onChange(listener: (presence: Presence | null) => void): void {
    this.listeners.add(listener);
  }
}
