import type { Writable } from 'node:stream';
import type { PipeTopics } from '../../protocol/topics.js';
import type { Timings } from '../timings.js';
import type { BrokerTarget } from '../transport/broker-target.js';

export interface ReceiveEvents {
  warn(message: string): void;
  /** What the receiver is doing, for a person at a terminal. */
  status?(message: string): void;
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
