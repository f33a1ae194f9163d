import type { Level } from 'level';
import msgpack from 'msgpack-lite';

/** The persistence calls that keep persistent sessions' subscriptions (aedes-persistence's API). */
interface SubscriptionPersistence {
  addSubscriptions(client: { id: string }, subscriptions: { topic: string }[]): Promise<unknown>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<unknown>;
  cleanSubscriptions(client: { id: string }): Promise<unknown>;
}

/** Where aedes-persistence-level keeps each one: `subscriptions:<client id, URI-encoded>:<filter>`. */
const SUBSCRIPTIONS = 'subscriptions:';

const hasWildcard = (filter: string): boolean => filter.includes('+') || filter.includes('#');

/** Whether an MQTT filter matches a topic name. */
export function filterMatches(filter: string, topic: string): boolean {
  const wanted = filter.split('/');
  const levels = topic.split('/');
  for (let at = 0; at < wanted.length; at++) {
    if (wanted[at] === '#') return true;
    if (at >= levels.length) return false;
    if (wanted[at] !== '+' && wanted[at] !== levels[at]) return false;
  }
  return wanted.length === levels.length;
}

/** Filters are grouped by their first two levels (a user's namespace) when those have no wildcard. */
function groupOf(filter: string): string {
  const [first = '', second] = filter.split('/', 2);
  return second === undefined || hasWildcard(second) ? first : `${first}/${second}`;
}

/**
 * The filters that persistent sessions hold, mirrored from the store (whose own index is private),
 * so that the quota can tell, as a publish comes in and before aedes acknowledges it, how many
 * sessions the store will queue it for. Sessions holding a QoS 0 filter count too: an upper bound.
 */
export class PersistentSubscriptions {
  /** Sessions by filter, by group. */
  private readonly groups = new Map<string, Map<string, Set<string>>>();
  /** Filters by session. */
  private readonly sessions = new Map<string, Set<string>>();

  static async follow(persistence: unknown, db: Level<string, string>): Promise<PersistentSubscriptions> {
    const mirror = new PersistentSubscriptions();
    const range = { gte: SUBSCRIPTIONS, lt: 'subscriptions;', valueEncoding: 'buffer' };
    for await (const value of db.values<string, Buffer>(range)) {
      const { clientId, topic } = msgpack.decode(value) as { clientId: string; topic: string };
      mirror.add(clientId, topic);
    }
    mirror.wrap(persistence as SubscriptionPersistence);
    return mirror;
  }

  /** How many persistent sessions hold a filter that matches `topic`. */
  sessionsMatching(topic: string): number {
    const [first = '', second = ''] = topic.split('/', 2);
    const matching = new Set<string>();
    for (const group of new Set([first, `${first}/${second}`])) {
      for (const [filter, sessions] of this.groups.get(group) ?? []) {
        if (filterMatches(filter, topic)) for (const session of sessions) matching.add(session);
      }
    }
    return matching.size;
  }

  /** The filters `session` holds. */
  filtersOf(session: string): ReadonlySet<string> {
    return this.sessions.get(session) ?? new Set();
  }

  private add(session: string, filter: string): void {
    const group = this.groups.get(groupOf(filter)) ?? new Map<string, Set<string>>();
    this.groups.set(groupOf(filter), group);
    const sessions = group.get(filter) ?? new Set<string>();
    group.set(filter, sessions.add(session));
    const filters = this.sessions.get(session) ?? new Set<string>();
    this.sessions.set(session, filters.add(filter));
  }

  private remove(session: string, filter: string): void {
    const group = this.groups.get(groupOf(filter));
    const sessions = group?.get(filter);
    sessions?.delete(session);
    if (sessions?.size === 0) group!.delete(filter);
    if (group?.size === 0) this.groups.delete(groupOf(filter));
    const filters = this.sessions.get(session);
    filters?.delete(filter);
    if (filters?.size === 0) this.sessions.delete(session);
  }

  private wrap(persistence: SubscriptionPersistence): void {
    const add = persistence.addSubscriptions.bind(persistence);
    const remove = persistence.removeSubscriptions.bind(persistence);
    const clean = persistence.cleanSubscriptions.bind(persistence);
    // Added before the store has them, removed once it no longer does: the count is never short.
    persistence.addSubscriptions = (client, subscriptions) => {
      for (const { topic } of subscriptions) this.add(client.id, topic);
      return add(client, subscriptions);
    };
    persistence.removeSubscriptions = async (client, topics) => {
      const result = await remove(client, topics);
      for (const topic of topics) this.remove(client.id, topic);
      return result;
    };
    persistence.cleanSubscriptions = async (client) => {
      const result = await clean(client);
      for (const filter of [...(this.sessions.get(client.id) ?? [])]) this.remove(client.id, filter);
      return result;
    };
  }
}
