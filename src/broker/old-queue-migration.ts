import type { Level } from 'level';
import msgpack from 'msgpack-lite';
import type { WriteOp } from './group-commit.js';
import {
  encodePacketRecord,
  idKey,
  OLD_OUTGOING,
  OLD_OUTGOING_ID,
  packetKey,
  parseKey,
  payloadBytesOf,
  payloadKey,
  queuedFields,
  rangeUnder,
  refOf,
  type QueuedPacket,
} from './queued-layout.js';

/** The most payload bytes rewritten in one batch: each batch is atomic, and held in memory until written. */
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Moves what an older broker queued for persistent sessions, in aedes-persistence-level's layout
 * (each message msgpack-encoded under `outgoing:`, again under `outgoing-id:` once sent), into the
 * pipe store's (queued-layout.ts), before the broker serves anyone: no queued frame of an older
 * data directory is lost or left behind. Each batch writes the new records and deletes the old
 * ones at once, so a migration cut short (the broker killed) goes on at the next start. Returns
 * how many messages it moved.
 */
export async function migrateOldQueue(db: Level<string, string>): Promise<number> {
  let moved = 0;
  let ops: WriteOp[] = [];
  let bytes = 0;
  const flush = async () => {
    if (ops.length > 0) await db.batch(ops, { valueEncoding: 'buffer' });
    ops = [];
    bytes = 0;
  };
  for await (const [key, value] of db.iterator<string, Buffer>({
    ...rangeUnder(OLD_OUTGOING),
    valueEncoding: 'buffer',
  })) {
    const { session, ref } = parseKey(key);
    const packet = msgpack.decode(value) as QueuedPacket;
    const payload =
      packet.cmd === 'publish' || packet.cmd === undefined ? (payloadBytesOf(packet) ?? Buffer.alloc(0)) : null;
    const fields: QueuedPacket = payload === null ? { ...packet } : queuedFields(packet);
    delete fields.payload;
    if (typeof packet.messageId === 'number' && packet.messageId > 0) fields.messageId = packet.messageId;
    ops.push({
      type: 'put',
      key: packetKey(session, ref),
      value: encodePacketRecord(fields, payload?.length ?? null, typeof packet.payload === 'string'),
    });
    if (payload !== null) ops.push({ type: 'put', key: payloadKey(session, ref), value: payload });
    ops.push({ type: 'del', key });
    moved += 1;
    bytes += value.length;
    if (bytes >= BATCH_BYTES) await flush();
  }
  for await (const [key, value] of db.iterator<string, Buffer>({
    ...rangeUnder(OLD_OUTGOING_ID),
    valueEncoding: 'buffer',
  })) {
    const { session, ref: messageId } = parseKey(key);
    const packet = msgpack.decode(value) as QueuedPacket;
    ops.push({ type: 'put', key: idKey(session, Number(messageId)), value: refOf(packet) });
    ops.push({ type: 'del', key });
    bytes += value.length;
    if (bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return moved;
}
