import { Readable } from 'node:stream';
import type { Level } from 'level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import { GroupCommit, type WriteOp } from './group-commit.js';
import type { PayloadReclaimer } from './payload-reclaimer.js';
import { RecentRecords } from './recent-records.js';
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
  type PacketRecord,
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
  /** Packet records, by key. */
  private readonly packets = new RecentRecords<PacketRecord>();
  /** The refs of the packets sent with each message id, by the id's key. */
  private readonly refs = new RecentRecords<string>();

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
      const ref = await this.refAt(idKey(session, packet.messageId ?? 0));
      if (ref === undefined) throw new Error('no such packet');
      const [brokerId = '', counter = '0'] = ref.split(':');
      packet.brokerId = brokerId;
      packet.brokerCounter = Number(counter);
    }
    const ref = refOf(packet);
    const key = packetKey(session, ref);
    const record = await this.packetAt(key);
    if (record === undefined) throw new Error('no such packet');
    const messageId = packet.messageId ?? 0;
    const ops: WriteOp[] = [];
    const previousId = record.fields.messageId;
    if (typeof previousId === 'number' && previousId > 0 && previousId !== messageId) {
      ops.push({ type: 'del', key: idKey(session, previousId) });
      this.refs.delete(idKey(session, previousId));
    }
    ops.push({ type: 'put', key: idKey(session, messageId), value: ref });
    this.refs.set(idKey(session, messageId), ref);
    const publish = packet.cmd === 'publish' || packet.cmd === undefined;
    const encoded = publish
      ? encodePacketRecord({ ...record.fields, messageId }, record.payloadBytes, record.text)
      : encodePacketRecord(packet, null);
    const updated: PacketRecord = publish
      ? { ...record, fields: { ...record.fields, messageId } }
      : decodePacketRecord(encoded);
    ops.push({ type: 'put', key, value: encoded });
    if (updated.payloadBytes === null) ops.push({ type: 'del', key: payloadKey(session, ref) });
    this.packets.set(key, updated);
    await this.write(ops);
  }

  /** The client acknowledged `packet.messageId`: the message goes; returns it (undefined if none was sent with that id). */
  override async outgoingClearMessageId(client: Client, packet: QueuedPacket): Promise<QueuedPacket | undefined> {
    const session = client.id;
    const id = idKey(session, packet?.messageId ?? 0);
    const ref = await this.refAt(id);
    if (ref === undefined) return undefined;
    const key = packetKey(session, ref);
    const [record, payload] = await Promise.all([
      this.packetAt(key),
      this.db.get<string, Buffer>(payloadKey(session, ref), AS_BUFFER),
    ]);
    this.refs.delete(id);
    this.packets.delete(key);
    await this.write([
      { type: 'del', key: id },
      { type: 'del', key },
      { type: 'del', key: payloadKey(session, ref) },
    ]);
    if (payload !== undefined) this.reclaimer.deleted(payload.length);
    return record === undefined ? undefined : packetFrom(record, payload);
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
    const record: PacketRecord = {
      fields: queuedFields(packet),
      payloadBytes: payload?.length ?? null,
      text: typeof packet.payload === 'string',
    };
    // One record of the packet, shared by every session it is queued for.
    const encoded = encodePacketRecord(record.fields, record.payloadBytes, record.text);
    const ref = refOf(packet);
    const ops: WriteOp[] = [];
    // A session with two filters that match gets one copy: the store keys it by session and message.
    for (const session of new Set(sessions)) {
      ops.push({ type: 'put', key: packetKey(session, ref), value: encoded });
      if (payload !== null) ops.push({ type: 'put', key: payloadKey(session, ref), value: payload });
      this.packets.set(packetKey(session, ref), record);
    }
    return this.write(ops);
  }

  /** Writes `ops` in the next group commit; if that fails, what is kept in memory of them goes. */
  private async write(ops: WriteOp[]): Promise<void> {
    try {
      await this.commits.write(ops);
    } catch (error) {
      for (const { key } of ops) {
        this.packets.delete(key);
        this.refs.delete(key);
      }
      throw error;
    }
  }

  private async packetAt(key: string): Promise<PacketRecord | undefined> {
    const known = this.packets.get(key);
    if (known !== undefined) return known;
    const stored = await this.db.get<string, Buffer>(key, AS_BUFFER);
    return stored === undefined ? undefined : decodePacketRecord(stored);
  }

  private async refAt(key: string): Promise<string | undefined> {
    return this.refs.get(key) ?? (await this.db.get(key, AS_TEXT));
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
