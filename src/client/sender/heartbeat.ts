import type { MqttClient } from 'mqtt';
import { CONNECTED_RECORD } from '../../protocol/sender-record.js';

/**
 * While a stream is being sent, its sender publishes its record `1` again every so often, not
 * retained and at QoS 0: the broker stores nothing (the retained record stays as it is, and no
 * quota or full disk refuses it), and receivers that follow the records hear that the sender is
 * alive. A sender that died with the broker cannot clear its record, and the broker publishes the
 * Will it stored only minutes after it is back.
 */
export class SenderHeartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** The open connection, or null while there is none. */
    private readonly client: () => MqttClient | null,
    private readonly topic: string,
    private readonly everyMs: number,
  ) {}

  start(): void {
    if (this.timer !== null || !Number.isFinite(this.everyMs)) return;
    this.timer = setInterval(() => {
      const client = this.client();
      // QoS 0 needs no answer; one lost with a connection is replaced by the announce after it.
      if (client?.connected) client.publish(this.topic, CONNECTED_RECORD, { qos: 0, retain: false });
    }, this.everyMs);
  }

  /** Before the record is replaced or cleared: no beat may come after it. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
