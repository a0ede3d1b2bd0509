/** Someone waiting in a queue for a value its owner hands out in order. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

export interface WaitOptions {
  signal?: AbortSignal | undefined;
  /** Milliseconds before giving up; undefined or Infinity: no limit. */
  timeout?: number | undefined;
  /** The error of an abort (the signal already aborted, or aborting later). */
  aborted: () => Error;
  /** The error once `timeout` ms have passed. */
  timedOut: (timeout: number) => Error;
  /** Called after a waiter left the queue on an abort or a timeout (e.g. to stop polling). */
  onCancel?: () => void;
}

/**
 * Wait in `queue`: the queue's owner settles the waiter (accept, receive) in order, or the
 * signal or the timeout cancels it, with the caller's error. Either way the waiter leaves the
 * queue and its timer and abort listener are released. The waiter is in the queue when this
 * returns, so the owner may serve it at once.
 */
export function waitInQueue<T>(queue: Waiter<T>[], options: WaitOptions): Promise<T> {
  const { signal, timeout } = options;
  if (signal?.aborted) return Promise.reject(options.aborted());
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const index = queue.indexOf(waiter);
      if (index !== -1) queue.splice(index, 1);
    };
    const waiter: Waiter<T> = {
      resolve: (value) => {
        release();
        resolve(value);
      },
      reject: (error) => {
        release();
        reject(error);
      },
    };
    const cancel = (error: Error) => {
      waiter.reject(error);
      options.onCancel?.();
    };
    const onAbort = () => cancel(options.aborted());
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined && Number.isFinite(timeout)) {
      timer = setTimeout(() => cancel(options.timedOut(timeout)), timeout);
    }
    queue.push(waiter);
  });
}
