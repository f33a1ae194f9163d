// Apart from the storage, so that the command line can check a --redis URL without loading Redis clients.

/** ioredis options from a redis:// or rediss:// URL (user, password, host, port, database number). */
export function redisOptions(raw: string): Record<string, unknown> {
  const notRedis = new Error(`'${raw}' is not a Redis URL; use redis://[USER:PASSWORD@]HOST[:PORT][/DB]`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw notRedis;
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') throw notRedis;
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`'${db}' in the Redis URL is not a database number`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Gives up on a command after a few tries instead of queueing it forever while Redis is away.
    maxRetriesPerRequest: 20,
  };
}
