/**
 * Coalesces concurrent calls with the same key into one piece of work.
 *
 * Successes and failures are shared with everyone waiting at the time, but nothing is
 * remembered afterwards: a failure (a network blip) must not become permanent, and a success is
 * on disk anyway.
 *
 * Cancellation is per caller. A caller whose signal fires is released at once with an
 * AbortError, but the shared work goes on while anyone else still waits for it; only when the
 * last waiter has gone is the work itself aborted. So one cancelled build does not fail the
 * other builds that happen to need the same package.
 */
import { AbortError } from '../errors.js';

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** The number of keys being worked on right now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Joins the running work for `key` or starts `work` with a signal that fires once every
   * waiter has cancelled. `leader` tells the caller whether it started the work.
   */
  run(
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): { promise: Promise<T>; leader: boolean } {
    if (signal?.aborted)
      return { promise: Promise.reject(new AbortError(signal.reason)), leader: false };
    let flight = this.#flights.get(key);
    let leader = false;
    // A flight whose waiters all left is being torn down; it cannot serve a new caller.
    if (!flight || flight.controller.signal.aborted) {
      const controller = new AbortController();
      const created: Flight<T> = {
        controller,
        waiters: 0,
        promise: Promise.resolve() as Promise<T>,
      };
      created.promise = work(controller.signal).finally(() => {
        if (this.#flights.get(key) === created) this.#flights.delete(key);
      });
      // Every caller handles the outcome; this keeps a flight whose callers all left quiet.
      created.promise.catch(() => {});
      this.#flights.set(key, created);
      flight = created;
      leader = true;
    }
    const f = flight;
    f.waiters++;
    const promise = new Promise<T>((resolve, reject) => {
      let done = false;
      const leave = (): void => {
        if (done) return;
        done = true;
        f.waiters--;
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        if (f.waiters === 0) f.controller.abort(signal?.reason);
        reject(new AbortError(signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      f.promise.then(
        (v) => {
          leave();
          resolve(v);
        },
        (e: unknown) => {
          leave();
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
    return { promise, leader };
  }
}
