import { Readable } from 'node:stream';
import type { Level } from 'level';
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js';
import type { DeferredDurability } from './ack-once-stored.js';
import { GroupCommit, type WriteOp } from './group-commit.js';
import { HeldWrites, type HoldSettings } from './held-writes.js';
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
 * the payloads deleted are reclaimed from LevelDB's files. A client's QoS 1 publish queued for a
 * connected session is delivered while it is written, and held back from the store for a moment
 * (held-writes.ts): what its receiver acknowledges meanwhile is never written. Sessions'
 * subscriptions, retained messages, Wills and QoS 2 messages on their way in stay as
 * aedes-persistence-level keeps them.
 */
export class PipeStore extends AsyncLevelPersistence implements DeferredDurability {
  private readonly commits: GroupCommit;
  private readonly held: HeldWrites;
  /** Packet records, by key. */
  private readonly packets = new RecentRecords<PacketRecord>();
  /** The refs of the packets sent with each message id, by the id's key. */
  private readonly refs = new RecentRecords<string>();
  /** Publishes delivered while written: their writes, by ref, until their PUBACK takes them (null: not queued yet). */
  private readonly deferred = new Map<string, Promise<void> | null>();
  private isConnected: (session: string) => boolean = () => false;

  constructor(
    private readonly db: Level<string, string>,
    private readonly reclaimer: PayloadReclaimer,
    hold?: HoldSettings,
  ) {
    super(db);
    this.commits = new GroupCommit((ops) => db.batch(ops, AS_BUFFER));
    this.held = new HeldWrites(this.commits, hold);
  }

  override async outgoingEnqueue(sub: Session, packet: QueuedPacket): Promise<void> {
    await this.enqueue([sub.clientId], packet, false);
  }

  override async outgoingEnqueueCombi(subs: Session[] | null | undefined, packet: QueuedPacket): Promise<unknown> {
    if (!subs || subs.length === 0) return packet;
    const ref = refOf(packet);
    const deferred = this.deferred.has(ref);
    const written = this.enqueue(
      subs.map((sub) => sub.clientId),
      packet,
      deferred,
    );
    if (!deferred) await written;
    else {
      // Delivered while written; its PUBACK waits for durable(ref).
      this.deferred.set(ref, written);
      written.catch(() => {});
    }
    return undefined;
  }

  deferDurability(ref: string): void {
    this.deferred.set(ref, null);
  }

  durable(ref: string): Promise<void> {
    const written = this.deferred.get(ref);
    this.deferred.delete(ref);
    return written ?? Promise.resolve();
  }

  connectedSessions(isConnected: (session: string) => boolean): void {
    this.isConnected = isConnected;
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
    if (this.held.append(session, ref, ops)) return;
    // A PUBLISH goes out without waiting for its id to be stored: after a crash the queued copy is
    // sent again under a new id, and the receiver drops what it had (frames carry their place). A
    // PUBREL must be stored first, or a restart would send the PUBLISH it replaced again.
    const written = this.write(ops);
    if (publish) written.catch(() => {});
    else await written;
  }

  /** The client acknowledged `packet.messageId`: the message goes; returns it (undefined if none was sent with that id). */
  override async outgoingClearMessageId(client: Client, packet: QueuedPacket): Promise<QueuedPacket | undefined> {
    const session = client.id;
    const id = idKey(session, packet?.messageId ?? 0);
    const ref = await this.refAt(id);
    if (ref === undefined) return undefined;
    const key = packetKey(session, ref);
    const record = await this.packetAt(key);
    this.refs.delete(id);
    this.packets.delete(key);
    let payload = this.held.valueAt(payloadKey(session, ref)) as Buffer | undefined;
    if (!this.held.acknowledged(session, ref)) {
      payload ??= await this.db.get<string, Buffer>(payloadKey(session, ref), AS_BUFFER);
      await this.write([
        { type: 'del', key: id },
        { type: 'del', key },
        { type: 'del', key: payloadKey(session, ref) },
      ]);
      if (record?.payloadBytes) this.reclaimer.deleted(record.payloadBytes);
    }
    return record === undefined ? undefined : packetFrom(record, payload);
  }

  /** What is queued for the client, oldest first (by broker, then counter). */
  override outgoingStream(client: Client): Readable {
    return Readable.from(this.queuedFor(client.id));
  }

  /** Settles once every write asked for so far, and every write held, is in the store. */
  async settled(): Promise<void> {
    await this.held.writeAll();
    await this.commits.write([]);
  }

  private enqueue(sessions: string[], packet: QueuedPacket, mayHold: boolean): Promise<void> {
    const payload = payloadBytesOf(packet);
    const record: PacketRecord = {
      fields: queuedFields(packet),
      payloadBytes: payload?.length ?? null,
      text: typeof packet.payload === 'string',
    };
    // One record of the packet, shared by every session it is queued for.
    const encoded = encodePacketRecord(record.fields, record.payloadBytes, record.text);
    const ref = refOf(packet);
    const writes: Promise<void>[] = [];
    const now: WriteOp[] = [];
    // A session with two filters that match gets one copy: the store keys it by session and message.
    for (const session of new Set(sessions)) {
      const ops: WriteOp[] = [{ type: 'put', key: packetKey(session, ref), value: encoded }];
      if (payload !== null) ops.push({ type: 'put', key: payloadKey(session, ref), value: payload });
      this.packets.set(packetKey(session, ref), record);
      if (mayHold && this.isConnected(session))
        writes.push(this.forgetOnFailure(ops, this.held.hold(session, ref, ops, payload?.length ?? 0)));
      else now.push(...ops);
    }
    if (now.length > 0) writes.push(this.write(now));
    return Promise.all(writes).then(() => {});
  }

  /** Writes `ops` in the next group commit; if that fails, what is kept in memory of them goes. */
  private write(ops: WriteOp[]): Promise<void> {
    return this.forgetOnFailure(ops, this.commits.write(ops));
  }

  private async forgetOnFailure(ops: WriteOp[], written: Promise<void>): Promise<void> {
    try {
      await written;
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
    const stored =
      (this.held.valueAt(key) as Buffer | undefined) ?? (await this.db.get<string, Buffer>(key, AS_BUFFER));
    return stored === undefined ? undefined : decodePacketRecord(stored);
  }

  private async refAt(key: string): Promise<string | undefined> {
    return this.refs.get(key) ?? (this.held.valueAt(key) as string | undefined) ?? (await this.db.get(key, AS_TEXT));
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
