import { readFileSync } from 'node:fs';
import {
  HostFilter,
  type HostSpec,
  parseHostFile,
  parseHostSpecList,
  resolveHostSpecs,
} from '../address/host-spec.js';
import { ArgumentError } from '../errors.js';
import type { Options } from './args.js';

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
