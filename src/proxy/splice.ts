import type { Duplex } from 'node:stream';

export interface SpliceResult {
  /** Bytes copied from `a` to `b`. */
  aToB: number;
  /** Bytes copied from `b` to `a`. */
  bToA: number;
}

/**
 * Copy both ways between two connected streams until both directions ended, passing end of file
 * across per direction (a FIN from one side becomes a FIN to the other; the other direction goes
 * on), with backpressure (`pipe`). An error or reset on either side destroys both. `signal`
 * destroys both at once. Resolves when both streams are closed; never rejects.
 */
export function splice(a: Duplex, b: Duplex, signal?: AbortSignal): Promise<SpliceResult> {
  return new Promise<SpliceResult>((resolve) => {
    const result: SpliceResult = { aToB: 0, bToA: 0 };
    let open = 2;
    const destroyBoth = () => {
      a.destroy();
      b.destroy();
    };
    const onClose = () => {
      if (--open > 0) return;
      signal?.removeEventListener('abort', destroyBoth);
      resolve(result);
    };
    a.on('data', (chunk: Buffer) => {
      result.aToB += chunk.length;
    });
    b.on('data', (chunk: Buffer) => {
      result.bToA += chunk.length;
    });
    a.on('error', destroyBoth);
    b.on('error', destroyBoth);
    a.once('close', () => {
      // A side that closed without ending cleanly (reset) takes the other down with it.
      if (!b.destroyed && !(a.readableEnded && a.writableFinished)) b.destroy();
      onClose();
    });
    b.once('close', () => {
      if (!a.destroyed && !(b.readableEnded && b.writableFinished)) a.destroy();
      onClose();
    });
    // Both directions finished: nothing more can flow, release the sockets.
    const maybeDone = () => {
      if (a.readableEnded && b.readableEnded && a.writableFinished && b.writableFinished) {
        a.destroy();
        b.destroy();
      }
    };
    a.on('end', maybeDone);
    b.on('end', maybeDone);
    a.on('finish', maybeDone);
    b.on('finish', maybeDone);
    signal?.addEventListener('abort', destroyBoth, { once: true });
    if (signal?.aborted) destroyBoth();
    a.pipe(b);
    b.pipe(a);
  });
}
