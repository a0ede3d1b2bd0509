import { UnsupportedError } from '../errors.js';
import { requireNative } from '../native/load.js';
import type { Tube } from '../tube/tube.js';

// Linux's numbers (<netinet/in.h>): the addon targets Linux only.
const IPPROTO_IP = 0;
const IP_TOS = 1;
const IPPROTO_IPV6 = 41;
const IPV6_TCLASS = 67;

/** The addon's setIntSockopt, or an UnsupportedError saying how to get it (checked up front). */
export function requireTosSupport(): (
  fd: number,
  level: number,
  name: number,
  value: number,
) => void {
  const addon = requireNative('-T (TOS)');
  if (typeof addon.setIntSockopt !== 'function') {
    throw new UnsupportedError(
      '-T (TOS) is not available: the native addon is older than this sockcat; run `node scripts/build-native.mjs`',
    );
  }
  return addon.setIntSockopt.bind(addon);
}

/** Set the IPv4 TOS byte or IPv6 traffic class of a connected socket (nc.openbsd -T). */
export function applyTos(tube: Tube, tos: number): void {
  const setIntSockopt = requireTosSupport();
  const fd = tube.fd;
  if (fd === undefined) throw new UnsupportedError('-T (TOS) needs a TCP socket descriptor');
  if (tube.local?.family === 6) setIntSockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, tos);
  else setIntSockopt(fd, IPPROTO_IP, IP_TOS, tos);
}
