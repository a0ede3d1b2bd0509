import { loadNative, type NativeAddon } from './load.js';

/**
 * One direction of the native data path: bytes from one file descriptor to another on a thread
 * of the addon (native/src/copy.c), never through JavaScript. Used by the relays when no tap
 * needs to see the bytes.
 */
export interface FdCopy {
  /** Resolves at the source's end of file (or after stop()); rejects with the failure. */
  readonly done: Promise<void>;
  /** Bytes moved so far. */
  bytes(): number;
  /** Stop copying; resolves once the thread has left both descriptors (safe to close them). */
  stop(): Promise<void>;
  /** splice, splice-pipe, sendfile or rw: what the addon chose for these descriptors. */
  readonly mechanism: string;
}

/** A copy failure, shaped like Node's system errors, with which side failed. */
export interface FdCopyError extends NodeJS.ErrnoException {
  failed: 'read' | 'write';
}

interface CopyResult {
  bytes: number;
  mechanism: string;
  error?: { code: string; errno: number; syscall: string; message: string };
  failed?: 'read' | 'write';
}

interface CopyAddon extends NativeAddon {
  copyStart(src: number, dst: number, mechanism: string, done: (r: CopyResult) => void): object;
  copyStop(handle: object): void;
  copyBytes(handle: object): number;
  copyMechanism(handle: object): string;
}

/** Mechanisms the addon takes: `auto` picks by the descriptors' types (bench/README.md). */
export type CopyMechanism = 'auto' | 'splice' | 'sendfile' | 'rw';

/**
 * Why the native data path cannot be used here, or undefined when it can: the addon is missing
 * or disabled (SOCKCAT_NO_NATIVE=1), or too old to copy.
 */
export function nativeCopyUnavailable(): string | undefined {
  if (process.env['SOCKCAT_NO_NATIVE'] === '1') return 'SOCKCAT_NO_NATIVE=1';
  const addon = loadNative() as Partial<CopyAddon> | undefined;
  if (!addon) return 'the native addon is not built';
  if (typeof addon.copyStart !== 'function') return 'the native addon is out of date';
  return undefined;
}

/**
 * The mechanism asked for by SOCKCAT_NATIVE_COPY (for benchmarks: `splice`, `sendfile`, `rw`),
 * else `auto`.
 */
function wantedMechanism(): CopyMechanism {
  const wanted = process.env['SOCKCAT_NATIVE_COPY'];
  return wanted === 'splice' || wanted === 'sendfile' || wanted === 'rw' ? wanted : 'auto';
}

/** Start copying `src` to `dst` until `src` ends. Call only when nativeCopyUnavailable() is undefined. */
export function copyFd(src: number, dst: number): FdCopy {
  const addon = loadNative() as CopyAddon;
  let handle: object | undefined;
  let finalBytes = 0;
  let settle!: (result: CopyResult) => void;
  const finished = new Promise<CopyResult>((resolve) => {
    settle = resolve;
  });
  handle = addon.copyStart(src, dst, wantedMechanism(), (result) => {
    // The addon frees the copy after this callback: the handle must not be used again.
    handle = undefined;
    finalBytes = result.bytes;
    settle(result);
  });
  const mechanism = addon.copyMechanism(handle);
  const done = finished.then((result) => {
    if (!result.error) return;
    const { code, errno, syscall, message } = result.error;
    const error = Object.assign(new Error(`${syscall} ${code} (${message})`), {
      code,
      errno,
      syscall,
      failed: result.failed ?? 'read',
    }) as FdCopyError;
    throw error;
  });
  done.catch(() => {});
  return {
    done,
    bytes: () => (handle ? addon.copyBytes(handle) : finalBytes),
    stop() {
      if (handle) addon.copyStop(handle);
      return finished.then(() => {});
    },
    mechanism,
  };
}
