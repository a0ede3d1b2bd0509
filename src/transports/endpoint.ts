import type { Endpoint } from '../address/endpoint.js';

/** Build an Endpoint from what node:net reports (fields are undefined once a socket is gone). */
export function endpointOf(
  address: string | undefined,
  port: number | undefined,
  family: string | number | undefined,
): Endpoint {
  const fam = family === 'IPv6' || family === 6 ? 6 : family === 'IPv4' || family === 4 ? 4 : 0;
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; report them as the IPv4 they are.
  if (fam === 6 && address?.startsWith('::ffff:') && address.includes('.')) {
    return { address: address.slice(7), port: port ?? 0, family: 4 };
  }
  return { address: address ?? '', port: port ?? 0, family: fam };
}
