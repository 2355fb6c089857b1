/**
 * Injected failures for the local repository server, so retries, resumes and timeouts can be
 * exercised against a real socket. Rates are probabilities per request, drawn from a seeded
 * generator so a failing run can be replayed with the same seed.
 */

/** What the server does to one request instead of answering normally. */
export type FaultKind = 'fail' | 'reset' | 'stall' | 'status429';

/** Per-request fault probabilities, each between 0 and 1. */
export interface FaultOptions {
  /** Answer 500. */
  failRate?: number;
  /** Send the headers and part of the body, then destroy the socket. */
  resetMidBody?: number;
  /** Send the headers and part of the body, then send nothing more until the client gives up. */
  stall?: number;
  /** Answer 429 with `Retry-After: 1`. */
  status429?: number;
  /** Seed for the generator; the same seed gives the same sequence of faults. */
  seed?: number;
  /**
   * Decides deterministically, for tests: called for every GET and HEAD with the path and how
   * many requests for that path came before; a returned kind wins over the rates.
   */
  decide?: (request: { method: string; path: string; seen: number }) => FaultKind | undefined;
}

/** mulberry32: small, fast and good enough to spread faults; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks the rates and returns a function that picks the fault (if any) for each request. */
export function createFaultPicker(
  options: FaultOptions = {},
): (request: { method: string; path: string; seen: number }) => FaultKind | undefined {
  const rates: Array<[FaultKind, number]> = [
    ['fail', options.failRate ?? 0],
    ['reset', options.resetMidBody ?? 0],
    ['stall', options.stall ?? 0],
    ['status429', options.status429 ?? 0],
  ];
  for (const [kind, rate] of rates) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new RangeError(`fault rate for ${kind} must be between 0 and 1, got ${rate}`);
    }
  }
  const random = seededRandom(options.seed ?? 1);
  return (request) => {
    const decided = options.decide?.(request);
    if (decided) return decided;
    for (const [kind, rate] of rates) {
      // A body fault on a HEAD has nothing to cut, so HEADs only get status faults.
      if (request.method === 'HEAD' && (kind === 'reset' || kind === 'stall')) continue;
      if (rate > 0 && random() < rate) return kind;
    }
    return undefined;
  };
}
