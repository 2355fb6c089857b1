/**
 * Turns scheduler events into text: a one-line status (nodes done/total per kind, bytes,
 * hits/misses) that a terminal redraws, and plain lines for logs and CI. It only formats; the
 * command line decides where the text goes.
 */
import type { CacheCounters } from '../cache/counters.js';
import type { NodeKind } from '../graph/build-graph.js';
import { formatRate } from '../graph/plan-stats.js';
import type { SchedulerEvent } from './types.js';

/** `12.3 MiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Counts nodes by kind as events arrive. */
export class ProgressTracker {
  readonly total: Record<NodeKind, number> = { config: 0, build: 0 };
  readonly done: Record<NodeKind, number> = { config: 0, build: 0 };
  readonly running: Record<NodeKind, number> = { config: 0, build: 0 };
  /** Nodes that never ran (a dependency failed, or the run was cancelled first). */
  readonly skipped: Record<NodeKind, number> = { config: 0, build: 0 };
  failed = 0;

  /** Updates the counts; returns a plain line describing the event, if it deserves one. */
  update(e: SchedulerEvent): string | undefined {
    switch (e.type) {
      case 'run-start':
        this.total.config = e.total.config;
        this.total.build = e.total.build;
        return `running ${e.total.config} config and ${e.total.build} build nodes`;
      case 'node-start':
        this.running[e.node.kind]++;
        return undefined;
      case 'node-end': {
        this.running[e.node.kind]--;
        this.done[e.node.kind]++;
        const secs = ` ${this.doneOf(e.node.kind)}`;
        if (e.ok) return `done    ${e.node.id}${secs}`;
        if (e.failure?.reason === 'failed') {
          this.failed++;
          return `FAILED  ${e.node.id}: ${e.failure.error.message.split('\n')[0] ?? ''}`;
        }
        return `stopped ${e.node.id}`;
      }
      case 'node-skip':
        this.skipped[e.node.kind]++;
        return e.failure.reason === 'dependency-failed'
          ? `skipped ${e.node.id} (needs ${e.failure.dependency})`
          : undefined;
      case 'run-end':
        return undefined;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  private doneOf(kind: NodeKind): string {
    return `(${kind} ${this.done[kind]}/${this.total[kind]})`;
  }

  /** The status line: `config 12/20 · build 3/20 (4 running) · 10.2 MiB · hit 80 / miss 20`. */
  statusLine(cache?: CacheCounters): string {
    const parts = [
      `config ${this.done.config}/${this.total.config}`,
      `build ${this.done.build}/${this.total.build}` +
        (this.running.build > 0 ? ` (${this.running.build} running)` : ''),
    ];
    if (cache) {
      parts.push(formatBytes(cache.bytesDownloaded));
      parts.push(`hit ${cache.hit + cache.coalesced} / miss ${cache.miss}`);
    }
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    const skipped = this.skipped.config + this.skipped.build;
    if (skipped > 0) parts.push(`${skipped} skipped`);
    return parts.join(' · ');
  }
}

/** The closing summary: what ran and the measured hit rate next to the ideal one. */
export function summaryText(input: {
  ok: boolean;
  cancelled?: boolean;
  durationMs: number;
  nodes: Record<string, number>;
  cache: CacheCounters;
  idealHitRate: number;
  unique: number;
  references: number;
}): string {
  const c = input.cache;
  const lines = [
    `${input.ok ? 'finished' : input.cancelled ? 'CANCELLED' : 'FAILED'} in ` +
      `${(input.durationMs / 1000).toFixed(1)} s: ` +
      Object.entries(input.nodes)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`)
        .join(', '),
    `cache: ${c.requests} requests, ${c.hit} hits, ${c.coalesced} coalesced, ${c.miss} downloads ` +
      `(${formatBytes(c.bytesDownloaded)}), ${c.failed} failed` +
      (c.cancelled > 0 ? `, ${c.cancelled} cancelled` : ''),
    // Prefetch makes the config and the build node both ask for a package, so the cache's own
    // rate counts requests twice; downloads per build reference is comparable with the plan.
    `hit rate: ${formatRate(input.references === 0 ? 0 : 1 - c.miss / input.references)} ` +
      `(${c.miss} downloads for ${input.references} package references of the builds), ` +
      `ideal ${formatRate(input.idealHitRate)} (${input.unique} unique packages); ` +
      `cache requests ${formatRate(c.hitRate)}`,
  ];
  // The ideal assumes a cold cache; a warm one beats it, which needs saying.
  if (input.ok && c.miss < input.unique) {
    lines.push(
      `the cache already held ${input.unique - c.miss} of the ${input.unique} unique packages ` +
        `(warm cache: the ideal is for an empty one)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
