import { timingSafeEqual } from 'node:crypto';
import type { ProxyAuth } from './proxy-spec.js';

/**
 * `Basic dXNlcjpwYXNz` for a Proxy-Authorization header: the credentials as given when they came
 * as one string (`--proxy-auth a` sends `YQ==`, as ncat), else `username:password`.
 */
export function basicAuthorization(auth: ProxyAuth): string {
  return `Basic ${Buffer.from(basicText(auth), 'utf8').toString('base64')}`;
}

function basicText(auth: ProxyAuth): string {
  return auth.text ?? `${auth.username}:${auth.password}`;
}

/**
 * Whether a client's Proxy-Authorization value carries exactly these Basic credentials. The
 * comparison takes the same time whatever the difference.
 */
export function basicCredentialsMatch(header: string | undefined, expected: ProxyAuth): boolean {
  if (header === undefined) return false;
  const match = /^Basic(?:[ \t]+([A-Za-z0-9+/]*=*))?[ \t]*$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1] ?? '', 'base64');
  const wanted = Buffer.from(basicText(expected), 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
