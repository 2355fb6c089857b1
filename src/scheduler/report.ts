/**
 * The JSON summary `run --report FILE` writes: per node its timings, packages and cache
 * requests; totals with the plan's predicted figures next to what the cache measured.
 */
import type { CacheCounters } from '../cache/counters.js';
import type { BuildGraph } from '../graph/build-graph.js';
import type { PlanStats } from '../graph/plan-stats.js';
import type { BuildValue, ConfigValue, NodeCacheCounts } from './nodes.js';
import type { RunResult } from './types.js';

/** Format version of the report; bump when a field changes meaning. */
export const REPORT_VERSION = 1;

/** One node's line in the report. */
export interface NodeReport {
  id: string;
  kind: string;
  module: string;
  variant: string;
  status: 'ok' | 'failed' | 'dependency-failed' | 'cancelled';
  /** Milliseconds since the run started. */
  readyMs?: number;
  startMs?: number;
  endMs?: number;
  durationMs?: number;
  lane?: number;
  /** Locked packages per arch (config nodes) or installed per arch (build nodes). */
  packages?: Record<string, number>;
  cache?: NodeCacheCounts;
  /** Config nodes: packages whose version is not the same on every arch. */
  archDifferences?: string[];
  error?: { code: string; message: string };
  /** The node whose failure kept this one from running. */
  dependency?: string;
  outDir?: string;
  indexDigest?: string;
}

/** The whole report. */
export interface RunReport {
  version: number;
  ok: boolean;
  durationMs: number;
  settings: { prefetch: boolean; jobs: number; configConcurrency: number; keepGoing: boolean };
  nodes: NodeReport[];
  totals: {
    nodes: Record<NodeReport['status'], number>;
    /** The plan's prediction from the locks of this run. */
    predicted: PlanStats;
    /** The cache's counters over the whole run. */
    measured: CacheCounters;
  };
}

/** Builds the report from a finished run. */
export function buildReport(input: {
  graph: BuildGraph;
  result: RunResult<ConfigValue, BuildValue>;
  predicted: PlanStats;
  measured: CacheCounters;
  settings: RunReport['settings'];
}): RunReport {
  const { graph, result } = input;
  const counts: Record<NodeReport['status'], number> = {
    ok: 0,
    failed: 0,
    'dependency-failed': 0,
    cancelled: 0,
  };
  const nodes = graph.nodes().map((n): NodeReport => {
    const r: NodeReport = {
      id: n.id,
      kind: n.kind,
      module: n.module,
      variant: n.variant,
      status: 'cancelled',
    };
    const t = result.timings.get(n.id);
    if (t) {
      r.readyMs = round(t.readyMs);
      if (t.startMs !== undefined) r.startMs = round(t.startMs);
      if (t.endMs !== undefined) r.endMs = round(t.endMs);
      if (t.startMs !== undefined && t.endMs !== undefined)
        r.durationMs = round(t.endMs - t.startMs);
      if (t.lane !== undefined) r.lane = t.lane;
    }
    const o = result.outcomes.get(n.id);
    if (o?.ok) {
      r.status = 'ok';
      const v = o.value;
      if ('outDir' in v) {
        r.packages = Object.fromEntries(v.archs.map((a) => [a.arch, a.packages]));
        r.outDir = v.outDir;
        r.indexDigest = v.indexDigest;
      } else {
        r.packages = Object.fromEntries(v.archs.map((a) => [a.arch, a.packages.length]));
        if (v.archDifferences.length > 0) r.archDifferences = v.archDifferences;
      }
      r.cache = v.cache;
    } else if (o) {
      r.status = o.failure.reason;
      if (o.failure.reason === 'failed') {
        r.error = { code: o.failure.error.code, message: o.failure.error.message };
      } else if (o.failure.reason === 'dependency-failed') {
        r.dependency = o.failure.dependency;
      }
    }
    counts[r.status] += 1;
    return r;
  });
  return {
    version: REPORT_VERSION,
    ok: result.ok,
    durationMs: round(result.durationMs),
    settings: input.settings,
    nodes,
    totals: { nodes: counts, predicted: input.predicted, measured: input.measured },
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
