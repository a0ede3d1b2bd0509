// Type test, compiled by `npm test` (tsc -p test/types) against the built declarations, the way a
// consumer's `import … from 'sockcat'` sees them. Each `@ts-expect-error` must be an error, and
// every other line must compile.
import {
  type AnySockcatError,
  connect,
  EOFError,
  isSockcatError,
  ProxyError,
  SockcatError,
  type TimeoutError,
} from 'sockcat';

type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

export async function narrowsBySwitch(): Promise<void> {
  try {
    await connect('127.0.0.1:1');
  } catch (error) {
    if (!(error instanceof SockcatError)) throw error;
    expectType<Equals<typeof error, AnySockcatError>>(true);
    switch (error.code) {
      case 'SOCKCAT_TIMEOUT':
        expectType<Equals<typeof error, TimeoutError>>(true);
        error.buffered.length satisfies number;
        error.timeoutMs satisfies number;
        break;
      case 'SOCKCAT_PROXY':
        error.proxy satisfies string;
        error.reply satisfies string | undefined;
        break;
      case 'SOCKCAT_REFUSED':
        // The docs' example: the system error is on `cause`, with its code.
        error.cause?.code satisfies string | undefined;
        // @ts-expect-error a refused connect has no buffered bytes
        error.buffered;
        break;
      default:
        error.code satisfies AnySockcatError['code'];
    }
  }
}

export function subclassesStillNarrow(error: unknown): void {
  if (error instanceof EOFError) {
    expectType<Equals<typeof error, EOFError>>(true);
    error.buffered satisfies Buffer;
  }
  if (error instanceof ProxyError) {
    // @ts-expect-error a ProxyError has no timeoutMs
    error.timeoutMs;
  }
  if (isSockcatError(error)) {
    expectType<Equals<typeof error, AnySockcatError>>(true);
  }
}

export async function sshErrorsNarrow(error: unknown): Promise<void> {
  if (!(error instanceof SockcatError)) return;
  switch (error.code) {
    case 'SOCKCAT_HOST_KEY':
      error.reason satisfies 'mismatch' | 'unknown' | 'revoked';
      error.fingerprint satisfies string;
      break;
    case 'SOCKCAT_SSH_AUTH':
      error.methods satisfies readonly string[];
      break;
    case 'SOCKCAT_SSH':
      // @ts-expect-error an SshError has no fingerprint
      error.fingerprint;
      break;
  }
}
