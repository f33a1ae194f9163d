import { Readable } from 'node:stream';
import type { Level } from 'level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { GroupCommit, type WriteOp } from './group-commit.js';
import type { PayloadReclaimer } from './payload-reclaimer.js';
import {
  decodePacketRecord,
  encodePacketRecord,
  idKey,
  packetFrom,
  packetKey,
  payloadBytesOf,
  payloadKey,
  QUEUED,
  rangeUnder,
  refOf,
  sessionPrefix,
  parseKey,
  queuedFields,
  type QueuedPacket,
} from './queued-layout.js';

const AS_BUFFER = { valueEncoding: 'buffer' } as const;
const AS_TEXT = { valueEncoding: 'utf8' } as const;

type Session = { clientId: string };
type Client = { id: string };

/**
 * aedes-persistence-level with its queue of messages for persistent sessions (the pipes'
 * mailboxes) replaced: each payload is written once, raw, beside a small record of the packet, and
 * the message id a packet is sent with goes into that small record and a smaller one that maps
 * the id back (queued-layout.ts); aedes-persistence-level wrote each payload three times,
 * msgpack-encoded, and decoded it twice more. The queue's writes go through a group commit, and
 * the payloads deleted are reclaimed from LevelDB's files. Sessions' subscriptions, retained
 * messages, Wills and QoS 2 messages on their way in stay as aedes-persistence-level keeps them.
 */
export class PipeStore extends AsyncLevelPersistence {
  private readonly commits: GroupCommit;

  constructor(
    private readonly db: Level<string, string>,
    private readonly reclaimer: PayloadReclaimer,
  ) {
    super(db);
    this.commits = new GroupCommit((ops) => db.batch(ops, AS_BUFFER));
  }

  override async outgoingEnqueue(sub: Session, packet: QueuedPacket): Promise<void> {
    await this.enqueue([sub.clientId], packet);
  }

  override async outgoingEnqueueCombi(subs: Session[] | null | undefined, packet: QueuedPacket): Promise<unknown> {
    if (!subs || subs.length === 0) return packet;
    await this.enqueue(
      subs.map((sub) => sub.clientId),
      packet,
    );
    return undefined;
  }

  /** The packet is being sent with `packet.messageId` (or, a PUBREL, replaces the message it releases). */
  override async outgoingUpdate(client: Client, packet: QueuedPacket): Promise<void> {
    const session = client.id;
    if (!packet.brokerId) {
      // A PUBREL: the message it releases is known by its id.
      const ref = await this.db.get(idKey(session, packet.messageId ?? 0), AS_TEXT);
      if (ref === undefined) throw new Error('no such packet');
      const [brokerId = '', counter = '0'] = ref.split(':');
      packet.brokerId = brokerId;
      packet.brokerCounter = Number(counter);
    }
    const ref = refOf(packet);
    const stored = await this.db.get<string, Buffer>(packetKey(session, ref), AS_BUFFER);
    if (stored === undefined) throw new Error('no such packet');
    const record = decodePacketRecord(stored);
    const messageId = packet.messageId ?? 0;
    const ops: WriteOp[] = [];
    const previousId = record.fields.messageId;
    if (typeof previousId === 'number' && previousId > 0 && previousId !== messageId)
      ops.push({ type: 'del', key: idKey(session, previousId) });
    ops.push({ type: 'put', key: idKey(session, messageId), value: ref });
    if (packet.cmd === 'publish' || packet.cmd === undefined) {
      const fields = { ...record.fields, messageId };
      ops.push({
        type: 'put',
        key: packetKey(session, ref),
        value: encodePacketRecord(fields, record.payloadBytes, record.text),
      });
    } else {
      ops.push({ type: 'put', key: packetKey(session, ref), value: encodePacketRecord(packet, null) });
      ops.push({ type: 'del', key: payloadKey(session, ref) });
    }
    await this.commits.write(ops);
  }

  /** The client acknowledged `packet.messageId`: the message goes; returns it (undefined if none was sent with that id). */
  override async outgoingClearMessageId(client: Client, packet: QueuedPacket): Promise<QueuedPacket | undefined> {
    const session = client.id;
    const id = idKey(session, packet?.messageId ?? 0);
    const ref = await this.db.get(id, AS_TEXT);
    if (ref === undefined) return undefined;
    const [stored, payload] = await this.db.getMany<string, Buffer>(
      [packetKey(session, ref), payloadKey(session, ref)],
      AS_BUFFER,
    );
    await this.commits.write([
      { type: 'del', key: id },
      { type: 'del', key: packetKey(session, ref) },
      { type: 'del', key: payloadKey(session, ref) },
    ]);
    if (payload !== undefined) this.reclaimer.deleted(payload.length);
    return stored === undefined ? undefined : packetFrom(decodePacketRecord(stored), payload);
  }

  /** What is queued for the client, oldest first (by broker, then counter). */
  override outgoingStream(client: Client): Readable {
    return Readable.from(this.queuedFor(client.id));
  }

  /** Settles once every write asked for so far is in the store. */
  settled(): Promise<void> {
    return this.commits.write([]);
  }

  private enqueue(sessions: string[], packet: QueuedPacket): Promise<void> {
    const payload = payloadBytesOf(packet);
    // One record of the packet, shared by every session it is queued for.
    const text = typeof packet.payload === 'string';
    const record = encodePacketRecord(queuedFields(packet), payload?.length ?? null, text);
    const ref = refOf(packet);
    const ops: WriteOp[] = [];
    // A session with two filters that match gets one copy: the store keys it by session and message.
    for (const session of new Set(sessions)) {
      ops.push({ type: 'put', key: packetKey(session, ref), value: record });
      if (payload !== null) ops.push({ type: 'put', key: payloadKey(session, ref), value: payload });
    }
    return this.commits.write(ops);
  }

  private async *queuedFor(session: string): AsyncGenerator<QueuedPacket> {
    await this.settled();
    const range = { ...rangeUnder(sessionPrefix(QUEUED, session)), ...AS_BUFFER };
    for await (const [key, value] of this.db.iterator<string, Buffer>(range)) {
      const record = decodePacketRecord(value);
      const payload =
        record.payloadBytes === null
          ? undefined
          : await this.db.get<string, Buffer>(payloadKey(session, parseKey(key).ref), AS_BUFFER);
      yield packetFrom(record, payload);
    }
  }
}
