import { readFileSync } from 'node:fs';
import type { Endpoint } from '../address/endpoint.js';
import { formatHostPort } from '../address/host-port.js';
import {
  HostFilter,
  type HostSpec,
  parseHostFile,
  parseHostSpecList,
  resolveHostSpecs,
} from '../address/host-spec.js';
import { ArgumentError } from '../errors.js';
import type { Context } from './context.js';
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
      let contents: string;
      try {
        contents = readFileSync(file, 'utf8');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new ArgumentError(`cannot read ${flag} ${JSON.stringify(file)}: ${reason}`);
      }
      specs.push(...parseHostFile(contents));
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

/** Log a client refused by --allow/--deny in ncat's words, and report it to --json. */
export function reportDenied(ctx: Context, remote: Endpoint): void {
  ctx.log.info(
    1,
    `New connection denied: not allowed (${formatHostPort(remote.address, remote.port)})`,
  );
  ctx.events.emit({
    event: 'denied',
    transport: 'tcp',
    remote: { address: remote.address, port: remote.port },
    reason: 'not-allowed',
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
