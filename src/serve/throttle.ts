/**
 * A bandwidth limit shared by every connection of one server. Each chunk reserves its
 * transmission time on one virtual clock, so N concurrent downloads together get the configured
 * rate (as they would through one shared uplink), not N times it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class SharedThrottle {
  readonly #bytesPerMs: number;
  #nextFreeMs = 0;

  constructor(bytesPerSec: number) {
    if (!(bytesPerSec > 0)) throw new RangeError(`bandwidth must be positive, got ${bytesPerSec}`);
    this.#bytesPerMs = bytesPerSec / 1000;
  }

  /** Waits until `bytes` may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.#nextFreeMs);
    this.#nextFreeMs = start + bytes / this.#bytesPerMs;
    const waitMs = this.#nextFreeMs - now;
    // Sub-millisecond waits are cheaper to absorb into the next chunk than to schedule.
    if (waitMs >= 1) await sleep(waitMs, undefined, signal ? { signal } : {});
  }
}

/** Parses `50MiB/s`, `10MB/s`, `512KiB`, `1000` (bytes per second). */
export function parseBandwidth(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*(?:\/s)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`cannot read bandwidth "${text}"; use e.g. 50MiB/s or 2MB/s`);
  const unit = (m[2] ?? 'b').toLowerCase().replace(/b$/, '');
  const scale: Record<string, number> = {
    '': 1,
    k: 1e3,
    m: 1e6,
    g: 1e9,
    ki: 1024,
    mi: 1024 ** 2,
    gi: 1024 ** 3,
  };
  const factor = scale[unit];
  if (factor === undefined) throw new RangeError(`unknown bandwidth unit in "${text}"`);
  return Number(m[1]) * factor;
}
