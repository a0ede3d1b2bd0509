import type { Endpoint } from '../address/endpoint.js';
import {
  HostFilter,
  type HostSpec,
  parseHostFile,
  parseHostSpecList,
  resolveHostSpecs,
} from '../address/host-spec.js';
import { quoteInput } from '../address/quote.js';
import { ArgumentError } from '../errors.js';
import type { Context } from './context.js';
import type { Transport } from './events.js';
import { eventEndpoint, peerName } from './modes/session.js';
import { readOptionFile } from './option-file.js';
import type { Options } from './options.js';

/**
 * The --allow/--allowfile/--deny/--denyfile filter, names resolved once at start (as ncat does),
 * or undefined when no list was given. Deny wins over allow, as in ncat 7.93.
 */
export async function buildHostFilter(options: Options): Promise<HostFilter | undefined> {
  const { access } = options;
  if (
    access.allow.length +
      access.allowFiles.length +
      access.deny.length +
      access.denyFiles.length ===
    0
  ) {
    return undefined;
  }
  const collect = async (lists: string[], files: string[], flag: string) => {
    const specs: HostSpec[] = lists.flatMap((list) => parseHostSpecList(list));
    for (const file of files) {
      const contents = readOptionFile(file, flag).toString('utf8');
      try {
        specs.push(...parseHostFile(contents));
      } catch (error) {
        // The file's lines are never shown (it may be /etc/shadow): its name and the line number.
        throw new ArgumentError(`${flag} file ${quoteInput(file)}: ${(error as Error).message}`);
      }
    }
    return resolveHostSpecs(specs, { family: options.family, numericOnly: options.numericOnly });
  };
  const hasAllow = access.allow.length + access.allowFiles.length > 0;
  const allow = hasAllow
    ? await collect(access.allow, access.allowFiles, '--allowfile')
    : undefined;
  const deny = await collect(access.deny, access.denyFiles, '--denyfile');
  return new HostFilter({ allow, deny });
}

/** Why a client or a datagram peer was turned away, for reportDenied(). */
export interface Denial {
  /** Default 'tcp'. */
  transport?: Transport;
  /** For people, in ncat's words: `not allowed` (the default), `connection limit reached`. */
  why?: string;
  /** For --json: `not-allowed` (the default), `max-conns`. */
  reason?: string;
  /** Name the peer after `why` (default true; ncat's broker line does not). */
  named?: boolean;
}

/**
 * The one place a refused client or peer is reported, in every mode and transport: the `-v`
 * line `New connection denied: WHY (PEER)` and the --json `denied` event.
 */
export function reportDenied(
  ctx: Context,
  remote: Endpoint | undefined,
  denial: Denial = {},
): void {
  const { transport = 'tcp', why = 'not allowed', reason = 'not-allowed', named = true } = denial;
  ctx.log.info(1, `New connection denied: ${why}${named ? ` (${peerName({ remote })})` : ''}`);
  ctx.events.emit({
    event: 'denied',
    transport,
    remote: eventEndpoint(remote) ?? { path: '' },
    reason,
  });
}

/**
 * serve()'s and listen()'s `allow` option for a filter: refused clients are reported and reset
 * before anything else (no TLS work, no slot). Empty without a filter, to spread into options.
 */
export function allowOption(
  ctx: Context,
  filter: HostFilter | undefined,
): { allow?: (remote: Endpoint) => boolean } {
  if (!filter) return {};
  return {
    allow: (remote) => {
      if (filter.allows(remote.address)) return true;
      reportDenied(ctx, remote);
      return false;
    },
  };
}
