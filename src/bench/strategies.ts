/**
 * How each strategy is asked of `apkgraph run`: the flags added to its command line.
 *
 * `naive` needs the run to fetch with no in-flight coordination (each concurrent miss of one
 * package downloads it again); that is the cache's `coordination: 'none'` mode, reached through
 * `run --fetch-coordination none`. The other two use the run's default, single-flight.
 */
import type { Strategy } from './types.js';

/** Flags of `apkgraph run` per strategy. */
export const STRATEGY_RUN_ARGS: Record<Strategy, readonly string[]> = {
  naive: ['--no-prefetch', '--fetch-coordination', 'none'],
  dedup: ['--no-prefetch'],
  prefetch: ['--prefetch'],
};

/** Parses `naive,dedup` into strategies; throws on an unknown name. */
export function parseStrategies(text: string, onError: (message: string) => Error): Strategy[] {
  const known: readonly string[] = ['naive', 'dedup', 'prefetch'];
  const out: Strategy[] = [];
  for (const raw of text.split(',')) {
    const s = raw.trim();
    if (!known.includes(s)) throw onError(`unknown strategy "${s}" (use ${known.join(', ')})`);
    if (!out.includes(s as Strategy)) out.push(s as Strategy);
  }
  return out;
}

/** Parses `1,4,16` into distinct positive integers, ascending. */
export function parseJobs(text: string, onError: (message: string) => Error): number[] {
  const out = new Set<number>();
  for (const raw of text.split(',')) {
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n <= 0) {
      throw onError(`--jobs takes positive integers separated by commas, got "${raw.trim()}"`);
    }
    out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}
