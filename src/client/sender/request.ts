import type { Readable } from 'node:stream';
import type { PipeTopics } from '../../protocol/topics.js';
import type { Timings } from '../timings.js';
import type { BrokerTarget } from '../transport/broker-target.js';
import type { SendSettings } from './settings.js';

export interface SendEvents {
  warn(message: string): void;
  /** What the sender is doing, for a person at a terminal. */
  status?(message: string): void;
  /** Bytes the broker has accepted so far. */
  progress?(acceptedBytes: number): void;
  /** The pipe is full: nobody is reading, or not fast enough. */
  blocked?(isBlocked: boolean, unreadBytes: number): void;
  /** The send failed or was interrupted after this many bytes went into the pipe. */
  stopped?(sentBytes: number): void;
}

export interface SendRequest {
  target: BrokerTarget;
  topics: PipeTopics;
  input: Readable;
  settings: SendSettings;
  /** The input's length when known beforehand (a regular file): receivers show percent and time left. */
  size?: number;
  events: SendEvents;
  signal?: AbortSignal;
  /** Overrides of the default timings. */
  timings?: Partial<Timings>;
}
