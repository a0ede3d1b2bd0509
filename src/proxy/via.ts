/**
 * The `Via` header (RFC 9110 section 7.6.3) as the HTTP proxy server uses it to count hops: each
 * proxy appends `<protocol> <pseudonym>`. A request that already names this proxy has come round
 * in a loop; one with too many hops is refused as well.
 */
import { type HeaderField, headerValues } from './http-head.js';

/** Hops a forwarded request may have made before this proxy refuses it. */
export const MAX_VIA_HOPS = 16;

/** The entries of every Via header, in order (`1.1 proxy-a`, `1.0 sockcat-1f2e3d4c`). */
export function viaHops(headers: readonly HeaderField[]): string[] {
  return headerValues(headers, 'via')
    .flatMap((value) => value.split(','))
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
}

/** Whether one of the hops was made by the proxy with this pseudonym. */
export function viaNames(hops: readonly string[], pseudonym: string): boolean {
  return hops.some((hop) => hop.split(/[ \t]+/)[1] === pseudonym);
}

/** The Via value to forward: the hops so far, then this one (`1.1` for an HTTP/1.1 client). */
export function appendVia(hops: readonly string[], version: string, pseudonym: string): string {
  return [...hops, `${version} ${pseudonym}`].join(', ');
}
