const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a topic name or filter is malformed (MQTT-1.5.3-1, MQTT-1.5.3-2), or null. */
export function malformedTopic(bytes: Buffer): string | null {
  try {
    utf8.decode(bytes);
  } catch {
    return 'a topic that is not valid UTF-8';
  }
  return bytes.includes(0) ? 'a topic with U+0000 in it' : null;
}

/**
 * Checks the start of a PUBLISH body as it goes by: its topic name (2-byte length, then UTF-8)
 * and, at QoS 1 or 2, its packet identifier, which may not be 0 (MQTT-2.3.1-1).
 */
export class PublishHead {
  private state: 'length' | 'topic' | 'packet-id' | 'done' = 'length';
  private needed = 2;
  private length = 0;
  private readonly topic: Buffer[] = [];
  private packetId = 0;

  constructor(private readonly qos: number) {}

  /** Reads `bytes[from, to)` of the body; says why the packet is malformed, or null. */
  feed(bytes: Buffer, from: number, to: number): string | null {
    let at = from;
    while (at < to && this.state !== 'done') {
      if (this.state === 'topic') {
        const take = Math.min(this.needed, to - at);
        this.topic.push(bytes.subarray(at, at + take));
        at += take;
        this.needed -= take;
        if (this.needed > 0) continue;
        const why = malformedTopic(Buffer.concat(this.topic));
        if (why !== null) return why;
        [this.state, this.needed] = this.qos > 0 ? ['packet-id', 2] : ['done', 0];
        continue;
      }
      const byte = bytes[at]!;
      at += 1;
      this.needed -= 1;
      if (this.state === 'length') {
        this.length = this.length * 256 + byte;
        if (this.needed === 0) [this.state, this.needed] = ['topic', this.length];
        if (this.state === 'topic' && this.needed === 0) return 'an empty topic';
      } else {
        this.packetId = this.packetId * 256 + byte;
        if (this.needed === 0) {
          this.state = 'done';
          if (this.packetId === 0) return 'a QoS 1 or 2 PUBLISH with packet identifier 0';
        }
      }
    }
    return null;
  }
}
