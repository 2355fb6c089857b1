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
    'plan.overall.references',
    'totals.references',
    'totals.packageReferences',
    'references',
  ],
  unique: ['plan.overall.unique', 'totals.unique', 'totals.uniquePackages', 'unique'],
  idealHitRate: ['plan.overall.idealHitRate', 'totals.idealHitRate', 'idealHitRate'],
  hits: ['cache.hits', 'cache.hit', 'totals.cache.hits', 'totals.cache.hit', 'totals.hits'],
  coalesced: ['cache.coalesced', 'totals.cache.coalesced', 'totals.coalesced'],
  downloads: [
    'cache.downloads',
    'cache.misses',
    'cache.miss',
    'totals.cache.downloads',
    'totals.cache.misses',
    'totals.cache.miss',
    'totals.downloads',
  ],
  bytesDownloaded: ['cache.bytes', 'cache.bytesDownloaded', 'totals.cache.bytes', 'totals.bytes'],
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

/** Reads the {@link RunFigures} out of a parsed report. */
export function figuresFromReport(report: unknown): RunFigures {
  const out: RunFigures = {};
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
