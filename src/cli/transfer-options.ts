import type { Options } from 'yargs';
import { CONNECTION_OPTIONS } from './connection-options.js';

/** What both sending and receiving take, besides the broker's address. */
const STREAM_OPTIONS = {
  quiet: { alias: 'q', type: 'boolean', describe: 'no progress or status lines; errors only' },
  'reconnect-for': {
    type: 'string',
    describe:
      "how long to keep trying to get back to the broker after losing it and, when given, to reach it at first: 30s, 5m, 2h, or 'forever' for unattended boxes (or SKYPIPE_RECONNECT_FOR; default 5m, one attempt at first)",
  },
} satisfies Record<string, Options>;

export const SEND_OPTIONS = {
  capacity: { type: 'string', describe: 'most unread bytes to keep in the pipe before waiting (default 32M)' },
  'frame-size': {
    type: 'string',
    describe:
      'largest frame, 1K to 1M (default 1M, or what the broker takes), for a broker that takes smaller packets without saying so',
  },
} satisfies Record<string, Options>;

export const RECEIVE_OPTIONS = {
  follow: { alias: 'f', type: 'boolean', describe: 'keep receiving stream after stream (log aggregation)' },
  'sender-timeout': {
    type: 'string',
    describe:
      'seconds to wait for a sender that lost its connection before the stream counts as incomplete (default: as long as --reconnect-for, 300)',
  },
} satisfies Record<string, Options>;

export const STATUS_OPTIONS = {
  json: { type: 'boolean', describe: 'print JSON, for scripts' },
} satisfies Record<string, Options>;

/** The options of the commands that talk to a broker about pipes, each set defined once above. */
export const PIPE_COMMAND_OPTIONS: Record<'send' | 'recv' | 'status', Record<string, Options>> = {
  send: { ...CONNECTION_OPTIONS, ...STREAM_OPTIONS, ...SEND_OPTIONS },
  recv: { ...CONNECTION_OPTIONS, ...STREAM_OPTIONS, ...RECEIVE_OPTIONS },
  status: { ...CONNECTION_OPTIONS, ...STATUS_OPTIONS },
};

/** `skypipe [NAME]` sends or receives, so it takes what either takes. */
export const EITHER_WAY_OPTIONS = { ...PIPE_COMMAND_OPTIONS.send, ...PIPE_COMMAND_OPTIONS.recv };
