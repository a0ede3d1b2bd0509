import type { Duplex } from 'node:stream';
import { nativeCopyUnavailable } from '../native/copy.js';
import { nativeSplice } from './native-splice.js';
import type { SpliceDirection, SpliceOptions, SpliceResult } from './splice-types.js';

export type { SpliceDirection, SpliceOptions, SpliceResult } from './splice-types.js';

/**
 * Bytes queued for one destination before its source is paused. Sockets' own mark (16 KiB) would
 * pause the source after every 64 KiB read and halve relay throughput; this bounds memory per
 * direction to about this much plus one read.
 */
export const SPLICE_QUEUE_BYTES = 256 * 1024;

/**
 * Copy both ways between two connected streams until both directions ended, passing end of file
 * across per direction (a FIN from one side becomes a FIN to the other; the other direction goes
 * on), with backpressure (the source pauses while more than SPLICE_QUEUE_BYTES wait to be
 * written). An error or reset on either side destroys both, as do `signal` and `idleTimeout`.
 * Resolves when both streams are closed; never rejects.
 */
export function splice(a: Duplex, b: Duplex, options: SpliceOptions = {}): Promise<SpliceResult> {
  // Two plain sockets and the addon: the bytes never enter JavaScript (proxy/native-splice.ts),
  // unless a tap must see them.
  const { signal, idleTimeout, tap, onProgress } = options;
  if (tap) options.onDataPath?.('JavaScript (a tap sees the bytes)');
  else {
    const native = nativeSplice(a, b, options);
    if (native) return native;
    options.onDataPath?.(
      `JavaScript (${nativeCopyUnavailable() ?? 'a side is not a plain socket'})`,
    );
  }
  return new Promise<SpliceResult>((resolve) => {
    const result: SpliceResult = { aToB: 0, bToA: 0, reason: 'done' };
    let open = 2;
    const destroyBoth = () => {
      a.destroy();
      b.destroy();
    };
    const endWith = (reason: SpliceResult['reason']) => () => {
      if (result.reason === 'done') result.reason = reason;
      destroyBoth();
    };
    const onAbort = endWith('aborted');
    const onError = endWith('reset');
    const idleTimer =
      idleTimeout !== undefined && Number.isFinite(idleTimeout)
        ? setTimeout(endWith('idle-timeout'), idleTimeout).unref()
        : undefined;
    const onClose = () => {
      if (--open > 0) return;
      if (idleTimer) clearTimeout(idleTimer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const copy = (
      from: Duplex,
      to: Duplex,
      direction: SpliceDirection,
      count: (n: number) => void,
    ) => {
      from.on('data', (chunk: Buffer) => {
        count(chunk.length);
        tap?.(direction, chunk);
        onProgress?.(
          direction === 'aToB' ? chunk.length : 0,
          direction === 'bToA' ? chunk.length : 0,
        );
        idleTimer?.refresh();
        if (!to.write(chunk) && to.writableLength > SPLICE_QUEUE_BYTES) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.once('end', () => to.end());
      from.on('error', onError);
      from.once('close', () => {
        // A side that closed without ending cleanly (reset) takes the other down with it.
        if (!(from.readableEnded && from.writableFinished)) {
          if (result.reason === 'done') result.reason = 'reset';
          if (!to.destroyed) to.destroy();
        }
        onClose();
      });
    };
    copy(a, b, 'aToB', (n) => {
      result.aToB += n;
    });
    copy(b, a, 'bToA', (n) => {
      result.bToA += n;
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    a.resume();
    b.resume();
  });
}
