import { malformedTopic } from './topic-checks.js';

/**
 * Counts and checks the topic filters of a SUBSCRIBE packet as its body goes by: a packet
 * identifier (2 bytes), then per filter a 2-byte length, the filter (valid UTF-8) and an options
 * byte. A filter is held only until it is checked.
 */
export class SubscribeCounter {
  private state: 'packet-id' | 'length' | 'filter' | 'options' = 'packet-id';
  private needed = 2;
  private length = 0;
  private filter: Buffer[] = [];
  count = 0;

  /** Reads `bytes[from, to)` of the body; says why the packet is malformed, or null. */
  feed(bytes: Buffer, from: number, to: number): string | null {
    let at = from;
    while (at < to) {
      if (this.state === 'length') {
        this.length = this.length * 256 + bytes[at]!;
        at += 1;
        this.needed -= 1;
        if (this.needed === 0) [this.state, this.needed, this.filter] = ['filter', this.length, []];
        if (this.state === 'filter' && this.needed === 0) return 'an empty topic filter';
        continue;
      }
      const take = Math.min(this.needed, to - at);
      if (this.state === 'filter') this.filter.push(bytes.subarray(at, at + take));
      at += take;
      this.needed -= take;
      if (this.needed > 0) continue;
      if (this.state === 'filter') {
        const why = malformedTopic(Buffer.concat(this.filter));
        if (why !== null) return why;
        [this.state, this.needed, this.filter] = ['options', 1, []];
      } else {
        if (this.state === 'options') this.count += 1;
        [this.state, this.needed, this.length] = ['length', 2, 0];
      }
    }
    return null;
  }
}
