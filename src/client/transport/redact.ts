/**
 * A URL as given, safe to echo: everything between the scheme (or the start, when it has none)
 * and the last '@' is taken out but the user name. Meant for what failed to parse, so it trusts
 * no structure: a password may hold '/', '@' or ':', and a path after the host only makes it take
 * out more.
 */
export function redactUserInfo(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
  const rest = raw.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return raw;
  const user = rest.slice(0, at).split(/[:/]/)[0]!;
  return `${scheme}${user === '' ? '' : `${user}@`}${rest.slice(at + 1)}`;
}
