/**
 * Writing to a Node stream without losing its errors.
 *
 * A Writable reports failure with an 'error' event. With no listener at that moment the event
 * is thrown as an uncaught exception and ends the whole process; a listener added only while
 * awaiting 'drain' misses a failure that happens between two writes, and after it 'drain'
 * never comes, so the writer hangs. A {@link GuardedWriter} listens for the stream's whole
 * life, keeps the first error and rejects the next write or end with it.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** A Writable whose failures always reach the code writing to it. */
export class GuardedWriter {
  readonly stream: Writable;
  #failed: Error | undefined;

  constructor(stream: Writable) {
    this.stream = stream;
    stream.on('error', (err) => {
      this.#failed ??= err;
    });
  }

  /** The stream's first error, if it failed. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Writes `data`; resolves when the stream takes more, rejects with the stream's failure. */
  write(data: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      // The callback reports this write's own failure, even when 'error' was emitted before.
      const ok = this.stream.write(data, (err) => {
        if (err) reject((this.#failed ??= err));
        else if (ok) resolve();
      });
      if (!ok) {
        once(this.stream, 'drain').then(
          () => resolve(),
          (err: Error) => reject(this.#failed ?? err),
        );
      }
    });
  }

  /** Ends the stream; resolves when all data is flushed, rejects with the stream's failure. */
  end(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.stream.end((err?: Error | null) => {
        if (err) this.#failed ??= err;
        if (this.#failed) reject(this.#failed);
        else resolve();
      });
    });
  }
}
