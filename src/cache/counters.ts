/**
 * Cache counters: what every `ensure` call turned out to be, and what it cost. The scheduler
 * prints them after a run and the benchmarks compare them with the ideal hit rate (one download
 * per unique package).
 */

/** How one request was served. */
export type CacheStatus = 'hit' | 'coalesced' | 'miss';

/** A snapshot of the counters; plain data, safe to JSON.stringify. */
export interface CacheCounters {
  /** Every `ensure` call. */
  requests: number;
  /** Served from entries already on disk. */
  hit: number;
  /** Waited for a download already running, in this process or (through its lock) another. */
  coalesced: number;
  /** Downloaded (or read from a local repository) by this call. */
  miss: number;
  /** Calls that failed. */
  failed: number;
  /** Calls given up because the run was cancelled (not failures: nothing went wrong). */
  cancelled: number;
  /** Entries found damaged on a hit, removed and fetched again. */
  repaired: number;
  /** Bytes read from repositories by misses. */
  bytesDownloaded: number;
  /** Bytes of the entries served by hits and coalesced waits. */
  bytesReused: number;
  /** Wall time spent inside `ensure`, summed per outcome (ms). */
  timeMs: { hit: number; coalesced: number; miss: number; failed: number };
  /** 1 − miss/requests: the share of requests that did not download (0 with no requests). */
  hitRate: number;
}

/** Mutable counters with a snapshot method. */
export class CounterSet {
  #c: Omit<CacheCounters, 'hitRate' | 'timeMs'> = {
    requests: 0,
    hit: 0,
    coalesced: 0,
    miss: 0,
    failed: 0,
    cancelled: 0,
    repaired: 0,
    bytesDownloaded: 0,
    bytesReused: 0,
  };
  #time = { hit: 0, coalesced: 0, miss: 0, failed: 0 };

  request(): void {
    this.#c.requests++;
  }

  record(status: CacheStatus | 'failed' | 'cancelled', elapsedMs: number, bytes = 0): void {
    this.#c[status]++;
    if (status === 'cancelled') return;
    this.#time[status] += elapsedMs;
    if (status === 'miss') this.#c.bytesDownloaded += bytes;
    else if (status !== 'failed') this.#c.bytesReused += bytes;
  }

  repaired(): void {
    this.#c.repaired++;
  }

  snapshot(): CacheCounters {
    const c = this.#c;
    return {
      ...c,
      timeMs: { ...this.#time },
      hitRate: c.requests === 0 ? 0 : 1 - c.miss / c.requests,
    };
  }
}
