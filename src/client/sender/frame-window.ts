/**
 * One stream's frames between the sender and the consumer: those published but not yet
 * acknowledged by the broker (in flight), and the data frames no consumer is known to have written
 * yet (unread). Both are sent again after a reconnect: a broker that crashed may have acknowledged
 * frames without storing them (aedes does), and a consumer skips the copies it has.
 *
 * A frame that leaves both, having been written to one connection only, is finished: its PUBACK
 * proves that connection wrote all its bytes, and once read it is never sent again. A frame sent
 * twice is never finished, as the copy on a dead connection cannot be proven done with.
 */
export class FrameWindow {
  /** In flight, by sequence number. */
  private readonly inFlight = new Map<number, WindowFrame>();
  /** Unread data frames, by sequence number. */
  private readonly unread = new Map<number, WindowFrame>();
  /** Bytes the broker has acknowledged. */
  accepted = 0;
  /** Bytes the consumer has written, by its progress record. */
  consumed = 0;
  private acceptedAtConnect = 0;
  /** Connections in a row that closed with a frame in flight and nothing acknowledged. */
  private fruitlessCloses = 0;
  /** Resolves at the next acknowledgement, for whoever waits for one. */
  private nextAcknowledgement: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(
    /** Publishes one frame on the connection there is now; null when there is none. */
    private readonly publish: (frame: Buffer) => Promise<void> | null,
    /** Something changed that a waiting sender may be waiting for. */
    private readonly changed: () => void,
    private readonly progress?: (acceptedBytes: number) => void,
    /** A frame no one will read again (see FramePool). */
    private readonly finished?: (frame: Buffer) => void,
  ) {}

  get framesInFlight(): number {
    return this.inFlight.size;
  }

  get unreadFrames(): number {
    return this.unread.size;
  }

  /** The largest frame in flight, in bytes: what a broker refusing the frames' size refuses. */
  get largestInFlight(): number {
    return Math.max(0, ...[...this.inFlight.values()].map(({ frame }) => frame.length));
  }

  /** Resolves when the broker next acknowledges a frame. */
  acknowledged(): Promise<void> {
    if (this.nextAcknowledgement === null) {
      let resolve = () => {};
      const promise = new Promise<void>((settle) => (resolve = settle));
      this.nextAcknowledgement = { promise, resolve };
    }
    return this.nextAcknowledgement.promise;
  }

  /** A connection opened: what it gets acknowledged counts from here. */
  connectionOpened(): void {
    this.acceptedAtConnect = this.accepted;
  }

  /**
   * A connection closed: how many in a row have now closed with a frame in flight and nothing
   * acknowledged. A broker that takes smaller packets than it says (MQTT 3.1.1 has no way to say)
   * closes the connection on each frame.
   */
  fruitlessClose(): number {
    const fruitless = this.inFlight.size > 0 && this.accepted === this.acceptedAtConnect;
    this.fruitlessCloses = fruitless ? this.fruitlessCloses + 1 : 0;
    return this.fruitlessCloses;
  }

  /** A new frame; `dataEnd` is the stream offset a data frame ends at (null for the others). */
  add(seq: number, frame: Buffer, dataLength: number, dataEnd: number | null): void {
    const entry: WindowFrame = { frame, length: dataLength, end: dataEnd ?? 0, sentAgain: false };
    this.inFlight.set(seq, entry);
    if (dataEnd !== null) this.unread.set(seq, entry);
    this.transmit(seq);
  }

  /** The consumer's progress record says it has written this much: frames before it are read. */
  consumedThrough(consumed: number): void {
    if (consumed <= this.consumed) return;
    this.consumed = consumed;
    for (const [seq, entry] of this.unread) {
      if (entry.end > consumed) break;
      this.unread.delete(seq);
      this.leftWindow(seq, entry);
    }
    this.changed();
  }

  /** After a reconnect: every frame in flight or unread goes again, in order. */
  sendAgain(): void {
    const again = new Set([...this.unread.keys(), ...this.inFlight.keys()]);
    for (const seq of [...again].sort((a, b) => a - b)) {
      const entry = (this.inFlight.get(seq) ?? this.unread.get(seq))!;
      entry.sentAgain = true;
      if (this.inFlight.has(seq)) this.transmit(seq);
      else this.publish(entry.frame)?.catch(() => {});
    }
  }

  private leftWindow(seq: number, entry: WindowFrame): void {
    if (entry.sentAgain || this.inFlight.has(seq) || this.unread.has(seq)) return;
    this.finished?.(entry.frame);
  }

  /** Publishes one in-flight frame on the current connection; a lost connection sends it again. */
  private transmit(seq: number): void {
    const pending = this.inFlight.get(seq)!;
    this.publish(pending.frame)?.then(
      () => {
        if (!this.inFlight.delete(seq)) return;
        this.leftWindow(seq, pending);
        this.accepted += pending.length;
        this.progress?.(this.accepted);
        this.nextAcknowledgement?.resolve();
        this.nextAcknowledgement = null;
        this.changed();
      },
      () => {
        // The connection went: sendAgain() sends the frame again.
      },
    );
  }
}

interface WindowFrame {
  frame: Buffer;
  /** Payload bytes; none for frames other than data. */
  length: number;
  /** The stream offset a data frame ends at. */
  end: number;
  /** Written to more than one connection. */
  sentAgain: boolean;
}
