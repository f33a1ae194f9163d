/**
 * A URL as given, split where its user information ends: everything between the scheme (or the
 * start, when it has none) and the last '@'. Meant also for what failed to parse, so it trusts no
 * structure: a password may hold '/', '@' or ':', and a path after the host only takes out more.
 */
function splitAtUserInfo(raw: string): { scheme: string; userInfo: string; rest: string } | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
  const after = raw.slice(scheme.length);
  const at = after.lastIndexOf('@');
  if (at < 0) return null;
  return { scheme, userInfo: after.slice(0, at), rest: after.slice(at + 1) };
}

/** The URL safe to echo: its user information taken out but the user name. */
export function redactUserInfo(raw: string): string {
  const parts = splitAtUserInfo(raw);
  if (parts === null) return raw;
  const user = parts.userInfo.split(/[:/]/)[0]!;
  return `${parts.scheme}${user === '' ? '' : `${user}@`}${parts.rest}`;
}

/** The URL safe to echo, its user information (user name too) shown as `***`. */
export function hideUserInfo(raw: string): string {
  const parts = splitAtUserInfo(raw);
  return parts === null ? raw : `${parts.scheme}***@${parts.rest}`;
}
