/**
 * The figures a benchmark reads from `apkgraph run --report FILE`.
 *
 * The report is the run's own JSON summary. Each figure is looked up under the names the
 * report uses (the first match wins), so the benchmark keeps working if the report grows, and a
 * figure the report lacks shows as missing rather than as a wrong zero.
 */

/** Cache and timing figures of one run; `undefined` where the report has no such figure. */
export interface RunFigures {
  references?: number;
  unique?: number;
  idealHitRate?: number;
  hits?: number;
  coalesced?: number;
  downloads?: number;
  bytesDownloaded?: number;
  configMs?: number;
  buildMs?: number;
  wallMs?: number;
  maxRssBytes?: number;
}

/** Where each figure may sit in the report, as dotted paths. */
export const REPORT_PATHS: Record<keyof RunFigures, string[]> = {
  references: [
    'totals.predicted.overall.references',
    'plan.overall.references',
    'totals.references',
    'totals.packageReferences',
    'references',
  ],
  unique: [
    'totals.predicted.overall.unique',
    'plan.overall.unique',
    'totals.unique',
    'totals.uniquePackages',
    'unique',
  ],
  idealHitRate: [
    'totals.predicted.overall.idealHitRate',
    'plan.overall.idealHitRate',
    'totals.idealHitRate',
    'idealHitRate',
  ],
  hits: [
    'totals.measured.hit',
    'cache.hits',
    'cache.hit',
    'totals.cache.hits',
    'totals.cache.hit',
    'totals.hits',
  ],
  coalesced: [
    'totals.measured.coalesced',
    'cache.coalesced',
    'totals.cache.coalesced',
    'totals.coalesced',
  ],
  downloads: [
    'totals.measured.miss',
    'cache.downloads',
    'cache.misses',
    'cache.miss',
    'totals.cache.downloads',
    'totals.cache.misses',
    'totals.cache.miss',
    'totals.downloads',
  ],
  bytesDownloaded: [
    'totals.measured.bytesDownloaded',
    'cache.bytes',
    'cache.bytesDownloaded',
    'totals.cache.bytes',
    'totals.bytes',
  ],
  configMs: ['phases.configMs', 'phases.config.ms', 'timings.configMs', 'totals.configMs'],
  buildMs: ['phases.buildMs', 'phases.build.ms', 'timings.buildMs', 'totals.buildMs'],
  wallMs: ['durationMs', 'wallMs', 'totals.durationMs', 'totals.wallMs'],
  maxRssBytes: ['maxRssBytes', 'process.maxRssBytes', 'totals.maxRssBytes'],
};

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

interface NodeTimes {
  kind?: unknown;
  startMs?: unknown;
  endMs?: unknown;
}

/**
 * The phases, from the report's per-node times (ms since the run started). Config and build
 * nodes overlap (a build starts as soon as its own config is done), so each phase is a span:
 * config = run start → the last config node's end; build = the first build node's start → the
 * last build node's end.
 */
export function phasesFromNodes(report: unknown): { configMs?: number; buildMs?: number } {
  const nodes = at(report, 'nodes');
  if (!Array.isArray(nodes)) return {};
  const num = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  let configEnd: number | undefined;
  let buildStart: number | undefined;
  let buildEnd: number | undefined;
  for (const n of nodes as NodeTimes[]) {
    const start = num(n.startMs);
    const end = num(n.endMs);
    if (n.kind === 'config' && end !== undefined) configEnd = Math.max(configEnd ?? 0, end);
    if (n.kind === 'build') {
      if (start !== undefined) buildStart = Math.min(buildStart ?? Infinity, start);
      if (end !== undefined) buildEnd = Math.max(buildEnd ?? 0, end);
    }
  }
  const out: { configMs?: number; buildMs?: number } = {};
  if (configEnd !== undefined) out.configMs = configEnd;
  if (buildStart !== undefined && buildEnd !== undefined) out.buildMs = buildEnd - buildStart;
  return out;
}

/** Reads the {@link RunFigures} out of a parsed report. */
export function figuresFromReport(report: unknown): RunFigures {
  const out: RunFigures = { ...phasesFromNodes(report) };
  for (const [key, paths] of Object.entries(REPORT_PATHS) as Array<[keyof RunFigures, string[]]>) {
    for (const p of paths) {
      const v = at(report, p);
      if (typeof v === 'number' && Number.isFinite(v)) {
        out[key] = v;
        break;
      }
    }
  }
  return out;
}
