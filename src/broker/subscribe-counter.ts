/**
 * Counts the topic filters of a SUBSCRIBE packet as its body goes by, without keeping it: a packet
 * identifier (2 bytes), then per filter a 2-byte length, the filter, and an options byte.
 */
export class SubscribeCounter {
  private state: 'packet-id' | 'length' | 'filter' | 'options' = 'packet-id';
  private needed = 2;
  private length = 0;
  count = 0;

  /** Reads `bytes[from, to)` of the body; returns the filters counted so far. */
  feed(bytes: Buffer, from: number, to: number): number {
    let at = from;
    while (at < to) {
      if (this.state === 'length') {
        this.length = this.length * 256 + bytes[at]!;
        at += 1;
        this.needed -= 1;
        if (this.needed === 0) [this.state, this.needed] = ['filter', this.length];
        if (this.needed === 0 && this.state === 'filter') [this.state, this.needed] = ['options', 1];
        continue;
      }
      const take = Math.min(this.needed, to - at);
      at += take;
      this.needed -= take;
      if (this.needed > 0) continue;
      if (this.state === 'packet-id' || this.state === 'options') {
        if (this.state === 'options') this.count += 1;
        [this.state, this.needed, this.length] = ['length', 2, 0];
      } else [this.state, this.needed] = ['options', 1];
    }
    return this.count;
  }
}
