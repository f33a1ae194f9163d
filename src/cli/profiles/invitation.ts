import { hostnameOf, parseBrokerUrl, parsePin, PipeError, redactUserInfo, usesTls } from '../../client/index.js';

export interface Invitation {
  /** The broker's URL, without user name or query. */
  url: string;
  host: string;
  username?: string;
  pin?: string;
}

/**
 * Reads what `skypipe login` was given: a broker URL, or an invitation, the same with the user
 * name and, for TLS, `?pin=FINGERPRINT`. A password in it is refused: it would stay in `ps` and the
 * shell's history.
 */
export function parseInvitation(raw: string, user: string | undefined, pinFlag: string | undefined): Invitation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    parseBrokerUrl(raw, 'login');
    throw new PipeError(`login: '${redactUserInfo(raw)}' is not a URL`, 'usage');
  }
  if (url.password !== '')
    throw new PipeError(
      "login: leave the password out of the URL, where ps and the shell's history would keep it; login asks for it, or reads it from standard input",
      'usage',
    );
  const pinInUrl = url.searchParams.get('pin') ?? undefined;
  for (const key of url.searchParams.keys())
    if (key !== 'pin')
      throw new PipeError(`login: unknown '${key}' in the URL; it takes only ?pin=FINGERPRINT`, 'usage');
  url.search = '';
  url.hash = '';
  const target = parseBrokerUrl(url.toString(), 'login', user);
  const invitation: Invitation = { url: target.url, host: hostnameOf(url) };
  if (target.username !== undefined) invitation.username = target.username;
  const pin = pinFlag ?? pinInUrl;
  if (pin !== undefined) {
    if (!usesTls(target.url))
      throw new PipeError(
        `login: a pin is for brokers reached over TLS (mqtts:// or wss://), not ${target.url}`,
        'usage',
      );
    invitation.pin = parsePin(pin, pinFlag !== undefined ? '--pin' : 'login: the pin in the URL');
  }
  return invitation;
}
