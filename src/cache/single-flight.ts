/**
 * Coalesces concurrent calls with the same key into one. Successes and failures are both
 * shared with everyone waiting at the time, but nothing is remembered afterwards: a failure
 * (a network blip) must not become permanent, and a success is on disk anyway.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  /** The number of keys being worked on right now. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** Runs `work` unless a call for `key` is running; `leader` tells the caller which it was. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const running = this.#inFlight.get(key);
    if (running) return { promise: running, leader: false };
    const promise = work().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, promise);
    return { promise, leader: true };
  }
}
