/**
 * Runs one benchmark configuration: `apkgraph run` in a child process, from an empty cache,
 * against the benchmark's repository server, and turns what it measured into a {@link BenchRow}.
 *
 * A child process per configuration keeps runs independent (no warm in-memory caches, no
 * shared heap) and makes peak RSS a per-run figure.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AbortError, InternalError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { RepoServer } from '../serve/repo-server.js';
import { figuresFromReport } from './run-report.js';
import { STRATEGY_RUN_ARGS } from './strategies.js';
import type { BenchRow, Strategy } from './types.js';

/** What one configuration needs. */
export interface ChildRunOptions {
  set: string;
  strategy: Strategy;
  jobs: number;
  server: RepoServer;
  /** Repository URLs of the set, each mirrored to the server. */
  mirrorFrom: readonly string[];
  /** Public keys the run must trust (the mirror's key). */
  keyring: readonly string[];
  /** Where the temporary cache, output and report go; removed afterwards. */
  workDir: string;
  /**
   * A generated demo repository to put into each run's fresh cache folder (at the same path
   * relative to it), so runs of a set with a demo repository do not spend their time
   * regenerating it. It is not part of the package cache, so the cache stays cold.
   */
  demoSeed?: { dir: string; relativePath: string };
  /** More flags for `apkgraph run`. */
  extraRunArgs?: readonly string[];
  /** The server's bandwidth cap and the machine's cores, for the row's lower bound. */
  bandwidthBytesPerSec: number;
  cpus: number;
  logger: Logger;
  signal?: AbortSignal;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The command line entry point (bin/apkgraph.js, two levels above src/bench or dist/bench). */
export function cliEntry(): string {
  return resolve(here, '../../bin/apkgraph.js');
}

/** The compiled RSS probe, next to this module in dist/ or in dist/bench from the sources. */
export function rssProbeFile(): string {
  const candidates = [join(here, 'rss-probe.js'), resolve(here, '../../dist/bench/rss-probe.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new InternalError(`rss-probe.js not found (looked in ${candidates.join(', ')})`, {
      hint: 'run "npm run build" first',
    });
  }
  return found;
}

/** The `apkgraph run` arguments of one configuration. */
export function runArgs(o: ChildRunOptions, dir: string): string[] {
  return [
    'run',
    o.set,
    '--jobs',
    String(o.jobs),
    ...STRATEGY_RUN_ARGS[o.strategy],
    '--cache-dir',
    join(dir, 'cache'),
    '--out',
    join(dir, 'out'),
    '--report',
    join(dir, 'report.json'),
    ...o.mirrorFrom.flatMap((from) => ['--mirror', `${from}=${o.server.url}`]),
    ...o.keyring.flatMap((k) => ['--keyring', k]),
    ...(o.extraRunArgs ?? []),
  ];
}

interface ChildExit {
  code: number | null;
  stderrTail: string;
  wallMs: number;
}

async function spawnRun(args: string[], rssFile: string, signal?: AbortSignal): Promise<ChildExit> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(rssProbeFile()).href, cliEntry(), ...args],
    {
      // process.env carries the UV_THREADPOOL_SIZE that bin/apkgraph.js chose for this process;
      // the child needs it from the start, as the --import probe starts the pool first.
      env: { ...process.env, APKGRAPH_BENCH_RSS_FILE: rssFile, CI: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      ...(signal ? { signal } : {}),
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    // Only the end matters: it holds the error, if any.
    stderr = (stderr + d).slice(-4000);
  });
  return new Promise((resolveExit, reject) => {
    child.on('error', (err) => reject(signal?.aborted ? new AbortError(signal.reason) : err));
    child.on('close', (code) =>
      resolveExit({ code, stderrTail: stderr, wallMs: performance.now() - started }),
    );
  });
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Counts the server saw for .apk files since its counts were last reset. */
export function serverApkCounts(server: RepoServer): {
  gets: number;
  bytes: number;
  paths: number;
  uniqueBytes: number;
} {
  let gets = 0;
  let bytes = 0;
  let paths = 0;
  let uniqueBytes = 0;
  for (const [path, c] of server.counts()) {
    if (!path.endsWith('.apk')) continue;
    gets += c.get;
    bytes += c.bytes;
    if (c.get > 0) {
      paths += 1;
      // Every GET of one path sends the same file (bench injects no faults).
      uniqueBytes += c.bytes / c.get;
    }
  }
  return { gets, bytes, paths, uniqueBytes };
}

/**
 * The least wall time a run could take: downloading every unique package once through the
 * shared bandwidth, or doing its CPU work on every core at once, whichever is longer.
 */
export function lowerBoundMs(
  uniqueBytes: number,
  bandwidthBytesPerSec: number,
  cpuMs: number | undefined,
  cpus: number,
): number {
  const transferMs = (uniqueBytes / bandwidthBytesPerSec) * 1000;
  return Math.max(transferMs, cpuMs === undefined ? NaN : cpuMs / cpus);
}

/** Runs the configuration and measures it; a failed run gives a row with `ok: false`. */
export async function runConfiguration(o: ChildRunOptions): Promise<BenchRow> {
  const dir = await mkdtemp(join(o.workDir, `${o.strategy}-j${o.jobs}-`));
  try {
    if (o.demoSeed) {
      await cp(o.demoSeed.dir, join(dir, 'cache', o.demoSeed.relativePath), { recursive: true });
    }
    o.server.resetCounts();
    const args = runArgs(o, dir);
    o.logger.verbose('starting run', { args: args.join(' ') });
    const exit = await spawnRun(args, join(dir, 'rss.json'), o.signal);
    const report = await readJson(join(dir, 'report.json'));
    const rss = (await readJson(join(dir, 'rss.json'))) as
      { maxRssBytes?: number; cpuMs?: number } | undefined;
    const f = figuresFromReport(report);
    const srv = serverApkCounts(o.server);
    const requests = f.references ?? NaN;
    // From a cold cache every referenced package is downloaded at least once, so the server's
    // distinct .apk paths are the unique packages when the report does not say.
    const unique = f.unique ?? (srv.paths > 0 ? srv.paths : NaN);
    const downloads = f.downloads ?? NaN;
    const ok = exit.code === 0 && report !== undefined;
    const row: BenchRow = {
      strategy: o.strategy,
      jobs: o.jobs,
      ok,
      requests,
      unique,
      hits: f.hits ?? NaN,
      coalesced: f.coalesced ?? NaN,
      downloads,
      duplicateDownloads: downloads - unique,
      bytesDownloaded: f.bytesDownloaded ?? srv.bytes,
      idealHitRate: f.idealHitRate ?? 1 - unique / requests,
      hitRate: 1 - downloads / requests,
      serverApkGets: srv.gets,
      serverApkBytes: srv.bytes,
      serverAgrees: srv.gets === downloads,
      wallMs: exit.wallMs,
      configMs: f.configMs ?? NaN,
      buildMs: f.buildMs ?? NaN,
      peakRssBytes: rss?.maxRssBytes ?? f.maxRssBytes ?? NaN,
      cpuMs: rss?.cpuMs ?? NaN,
      lowerBoundMs: lowerBoundMs(srv.uniqueBytes, o.bandwidthBytesPerSec, rss?.cpuMs, o.cpus),
    };
    if (!ok) {
      const last = exit.stderrTail.trim().split('\n').slice(-6).join(' | ');
      row.error =
        report === undefined && exit.code === 0
          ? 'the run wrote no report'
          : `apkgraph run exited with ${exit.code ?? 'a signal'}: ${last}`;
    }
    return row;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
