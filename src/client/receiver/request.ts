import type { Writable } from 'node:stream';
import type { PipeTopics } from '../../protocol/topics.js';
import type { Timings } from '../timings.js';
import type { BrokerTarget } from '../transport/broker-target.js';

export interface ReceiveEvents {
  warn(message: string): void;
  /** What the receiver is doing, for a person at a terminal. */
  status?(message: string): void;
  /** The receiver waits for data: a line that lasts until data flows (without it, `status`). */
  waiting?(message: string): void;
  /** Bytes of a stream are written to the output: its position after them, and how many. */
  written?(streamIdHex: string, position: number, bytes: number): void;
  /** A stream's length, as its sender announced it (one that reads a regular file). */
  sized?(streamIdHex: string, bytes: number): void;
  /** A stream is written through its end; `checked` when its SHA-256 matched (seen from its start). */
  completed?(streamIdHex: string, checked: boolean): void;
}

export interface ReceiveRequest {
  target: BrokerTarget;
  topics: PipeTopics;
  output: Writable;
  /** Keep receiving across the ends of streams (until interrupted). */
  follow: boolean;
  events: ReceiveEvents;
  signal?: AbortSignal;
  /** Overrides of the default timings. */
  timings?: Partial<Timings>;
}
