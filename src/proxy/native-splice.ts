import type { Duplex } from 'node:stream';
import { copyFd, type FdCopy, nativeCopyUnavailable } from '../native/copy.js';
import { flushThen, plainSocketFd, takeHeld } from '../tube/socket-fd.js';
import type { SpliceOptions, SpliceResult } from './splice-types.js';

/** How often onProgress hears of the native copies' counters. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * splice() on the native data path: each direction is a copy in the addon (native/copy.ts)
 * between the two sockets' descriptors, never through JavaScript, with splice()'s rules: a
 * direction's end of file becomes a FIN on the other socket and the other direction goes on; an
 * error on either side, the signal or the idle timeout destroys both. Undefined when either
 * stream is not a plain socket (TLS) or the addon cannot copy: the caller relays in JavaScript.
 */
export function nativeSplice(
  a: Duplex,
  b: Duplex,
  options: SpliceOptions,
): Promise<SpliceResult> | undefined {
  if (nativeCopyUnavailable() !== undefined) return undefined;
  const aFd = descriptorOf(a);
  const bFd = descriptorOf(b);
  if (aFd === undefined || bFd === undefined) return undefined;
  // Bytes the streams already hold (what arrived with a handshake) go first, through the stream.
  const aHeld = takeHeld(a);
  const bHeld = takeHeld(b);
  const { signal, idleTimeout, onProgress } = options;
  return new Promise<SpliceResult>((resolve) => {
    const copies: FdCopy[] = [];
    let tearing: Promise<void> | undefined;
    let ended = 0;
    let idleTimer: NodeJS.Timeout | undefined;
    let progressTimer: NodeJS.Timeout | undefined;
    let counted = { aToB: 0, bToA: 0 };
    /** Tell onProgress what moved since it was last told. */
    const sample = (counts: SpliceResult) => {
      const moved = { aToB: counts.aToB - counted.aToB, bToA: counts.bToA - counted.bToA };
      counted = { aToB: counts.aToB, bToA: counts.bToA };
      if (moved.aToB > 0 || moved.bToA > 0) onProgress?.(moved.aToB, moved.bToA);
    };
    let reason: SpliceResult['reason'] = 'done';
    let reported = false;
    /** Stop for `why`, unless a reason is already set or both directions had ended cleanly. */
    const stopFor = (why: SpliceResult['reason']) => {
      if (reason === 'done' && ended < 2) reason = why;
      void teardown();
    };
    const total = () => copies.reduce((sum, copy) => sum + copy.bytes(), 0);
    const result = (): SpliceResult => {
      const native = { aToB: copies[0]?.bytes() ?? 0, bToA: copies[1]?.bytes() ?? 0 };
      return {
        aToB: aHeld.length + native.aToB,
        bToA: bHeld.length + native.bToA,
        native,
        reason,
      };
    };
    /** Stop both copies, then destroy both sockets (the threads hold their own duplicates). */
    const teardown = (): Promise<void> => {
      tearing ??= (async () => {
        if (idleTimer) clearInterval(idleTimer);
        if (progressTimer) clearInterval(progressTimer);
        signal?.removeEventListener('abort', onAbort);
        const counts = await Promise.all(copies.map((copy) => copy.stop())).then(result);
        if (onProgress) sample(counts);
        a.destroy();
        b.destroy();
        resolve(counts);
      })();
      return tearing;
    };
    const onAbort = () => stopFor('aborted');
    const direction = (fromFd: number, to: Duplex, toFd: number, held: Buffer, index: number) => {
      const started = flushThen(to, held).then(() => {
        if (tearing) return;
        const copy = copyFd(fromFd, toFd);
        copies[index] = copy;
        if (!reported) {
          reported = true;
          options.onDataPath?.(`native: both ways by ${copy.mechanism}`);
        }
        return copy.done.then(
          // The source's FIN becomes the destination's; once both ends are done, both close.
          () => {
            to.end();
            if (++ended === 2) void teardown();
          },
          () => stopFor('reset'),
        );
      });
      started.catch(() => stopFor('reset'));
    };
    direction(aFd, b, bFd, aHeld, 0);
    direction(bFd, a, aFd, bHeld, 1);
    // Destroyed from outside (a server closing): the copies stop with it.
    a.once('close', () => stopFor('reset'));
    b.once('close', () => stopFor('reset'));
    a.on('error', () => stopFor('reset'));
    b.on('error', () => stopFor('reset'));
    if (idleTimeout !== undefined && Number.isFinite(idleTimeout)) {
      let last = -1;
      let quietSince = performance.now();
      idleTimer = setInterval(
        () => {
          const moved = total();
          const now = performance.now();
          if (moved !== last) {
            last = moved;
            quietSince = now;
          } else if (now - quietSince >= idleTimeout) stopFor('idle-timeout');
        },
        Math.min(250, Math.max(5, idleTimeout / 4)),
      );
      idleTimer.unref();
    }
    if (onProgress) {
      progressTimer = setInterval(() => sample(result()), PROGRESS_INTERVAL_MS);
      progressTimer.unref();
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}

function descriptorOf(stream: Duplex): number | undefined {
  // Held bytes are taken out below; only bytes queued for writing rule the native path out.
  return stream.destroyed ? undefined : plainSocketFd(stream, true);
}
