import { SockcatError } from '../errors.js';

/**
 * Exit statuses, as ncat documents them: 0 success; 1 a network error (refused, reset, timeout,
 * unreachable); 2 anything else (bad option or value, unresolvable host, cannot listen).
 */
export const ExitCode = {
  Ok: 0,
  NetworkError: 1,
  OtherError: 2,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof SockcatError)) return ExitCode.NetworkError;
  switch (error.code) {
    case 'SOCKCAT_ARGS':
    case 'SOCKCAT_RESOLVE':
    case 'SOCKCAT_LISTEN':
    case 'SOCKCAT_UNSUPPORTED':
    case 'SOCKCAT_PERMISSION':
      return ExitCode.OtherError;
    default:
      return ExitCode.NetworkError;
  }
}
