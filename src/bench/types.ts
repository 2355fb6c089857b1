/**
 * The figures `apkgraph bench` records for one strategy at one parallelism, and the whole run.
 */

/** How packages reach the cache in a benchmark run. */
export type Strategy = 'naive' | 'dedup' | 'prefetch';

/** Every strategy, in the order tables and charts show them. */
export const STRATEGIES: readonly Strategy[] = ['naive', 'dedup', 'prefetch'];

/** One sentence per strategy, for tables and docs. */
export const STRATEGY_DESCRIPTIONS: Record<Strategy, string> = {
  naive: 'build nodes fetch through the cache with no in-flight coordination (control group)',
  dedup: 'single-flight cache, no prefetch: concurrent misses of one package share one download',
  prefetch: 'config nodes prefetch in dependency order (latest before latest-dev), single-flight',
};

/** The measured result of one (strategy, jobs) configuration, run from a cold cache. */
export interface BenchRow {
  strategy: Strategy;
  jobs: number;
  /** False when the run failed; `error` then says why and the figures are what was measured. */
  ok: boolean;
  error?: string;
  /** Package references: one per locked package per build (module, variant, arch). */
  requests: number;
  /** Distinct (arch, name, version) among the references. */
  unique: number;
  /** Cache lookups answered from disk. */
  hits: number;
  /** Lookups that joined a download already in flight. */
  coalesced: number;
  /** Package downloads the cache started. */
  downloads: number;
  /** downloads − unique: what a perfect cache would not have fetched. */
  duplicateDownloads: number;
  bytesDownloaded: number;
  /** 1 − unique/requests: every package fetched exactly once. */
  idealHitRate: number;
  /** 1 − downloads/requests. */
  hitRate: number;
  /** GETs of .apk files the repository server answered during this run. */
  serverApkGets: number;
  /** Bytes of .apk bodies the server sent during this run. */
  serverApkBytes: number;
  /** The server's count equals the report's downloads. */
  serverAgrees: boolean;
  wallMs: number;
  configMs: number;
  buildMs: number;
  /** Peak resident set size of the `run` process, bytes. */
  peakRssBytes: number;
  /** CPU time of the `run` process, every thread, user + system. */
  cpuMs: number;
  /** max(unique bytes ÷ bandwidth, CPU time ÷ cores): no schedule can beat it. */
  lowerBoundMs: number;
}

/** The settings a benchmark ran with, recorded next to its rows. */
export interface BenchSettings {
  set: string;
  repository: string;
  mirrorFrom: string[];
  latencyMs: number;
  bandwidthBytesPerSec: number;
  jobs: number[];
  strategies: Strategy[];
  node: string;
  cpus: number;
  startedAt: string;
}

/** What bench.json holds. */
export interface BenchResult {
  settings: BenchSettings;
  rows: BenchRow[];
}
