/**
 * Several outputs (a command's stdout and stderr, or one pty) merged into the one Readable side of
 * a stream, which ends when every output has ended and closes once that end has been read and the
 * source (a child process, an SSH channel) is gone, so that whoever waits for 'close' waits for
 * the source. Shared by ChildStream (child-stream.ts) and SshChannelStream (ssh/channel-stream.ts).
 */
import type { Readable } from 'node:stream';

/** An output that can be held back while the merged stream's reader does not keep up. */
interface PausableOutput {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  once(event: 'end', listener: () => void): unknown;
  pause(): unknown;
}

export class MergedOutput {
  #target: Readable;
  #outputs: PausableOutput[] = [];
  #open = 0;
  #ended = false;
  #sourceGone = false;

  /** `target`: the stream whose readable side carries the outputs (it pushes; nobody else ends it). */
  constructor(target: Readable) {
    this.#target = target;
  }

  /** Every output has ended: the target's readable side has been ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Merge these streams: each chunk is pushed as it comes; when the target's buffer is full
   * every one of them is paused (the target's _read resumes them when it is read again).
   */
  attach(outputs: readonly PausableOutput[]): void {
    this.expect(outputs.length);
    for (const output of outputs) {
      this.#outputs.push(output);
      output.on('data', (chunk: Buffer) => {
        if (!this.#target.push(chunk)) for (const o of this.#outputs) o.pause();
      });
      output.once('end', () => this.outputDone());
    }
  }

  /** Count `n` more outputs that the owner pushes itself and reports with outputDone(). */
  expect(n: number): void {
    this.#open += n;
  }

  /** One output has ended; the last one ends the target's readable side. */
  outputDone(): void {
    this.#open--;
    if (this.#open > 0 || this.#ended) return;
    this.#ended = true;
    this.#target.push(null);
    this.#maybeClose();
  }

  /** The source is gone (the child exited, the channel closed): close once the output is read. */
  sourceGone(): void {
    this.#sourceGone = true;
    this.#maybeClose();
  }

  #maybeClose(): void {
    const target = this.#target;
    if (!this.#ended || !this.#sourceGone || target.destroyed) return;
    if (target.readableEnded) target.destroy();
    else target.once('end', () => target.destroy());
  }
}
