/**
 * `apkgraph bench`: every strategy × jobs value, each from a cold cache, against one repository
 * server that adds latency and a shared bandwidth cap, as a remote mirror would.
 *
 * The server runs in this process and counts GETs per path; the runs are child processes (see
 * child-run.ts). Configurations run one after another, so they never compete for the two
 * cores or the bandwidth, and the server's counts are reset between them.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ApkgraphError, isApkgraphError, throwIfAborted } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { ensureDemoRepo, loadDemoRepoSpec } from '../demo/demo-repo.js';
import { loadModuleSet } from '../moduleset/load.js';
import type { ModuleSet } from '../moduleset/types.js';
import { checkSetMirrors } from '../scheduler/options.js';
import { startRepoServer } from '../serve/repo-server.js';
import { writeFileAtomic } from '../util/atomic.js';
import { renderChart } from './chart.js';
import { runConfiguration } from './child-run.js';
import { formatMarkdown } from './format.js';
import { STRATEGIES, type BenchResult, type BenchRow, type Strategy } from './types.js';

/** Defaults: 20 ms latency, 50 MiB/s, jobs 1, 4, 16, 64, every strategy. */
export const BENCH_DEFAULTS = {
  latencyMs: 20,
  bandwidthBytesPerSec: 50 * 1024 * 1024,
  jobs: [1, 4, 16, 64],
  strategies: STRATEGIES,
} as const;

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** The module set folder. */
  set: string;
  /**
   * The repository folder to serve (e.g. made by `repo synth`): `<arch>/APKINDEX.tar.gz`, …
   * Default: the set's demo repository, generated into the work folder.
   */
  repository?: string;
  /** Repository URLs to point at the server; default every repository the set names. */
  mirrorFrom?: string[];
  /** Keys the runs trust; default every `*.rsa.pub` at the top of `repository`. */
  keyring?: string[];
  strategies?: readonly Strategy[];
  jobs?: readonly number[];
  latencyMs?: number;
  bandwidthBytesPerSec?: number;
  /** Parent of the per-run temporary folders; default the OS temp folder. */
  workDir?: string;
  extraRunArgs?: readonly string[];
  /** Called after each configuration, e.g. to print progress. */
  onRow?: (row: BenchRow) => void;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Every repository URL the set's configs name, sorted. */
export function setRepositories(set: ModuleSet): string[] {
  const urls = new Set(set.settings.repositories);
  for (const m of set.modules) {
    for (const r of [...m.apko.repositories, ...m.apko.buildRepositories]) urls.add(r);
  }
  return [...urls].sort();
}

/** The public keys at the top of a repository folder, as `repo synth` leaves them. */
export async function repositoryKeys(repoDir: string): Promise<string[]> {
  const names = await readdir(repoDir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith('.rsa.pub'))
    .sort()
    .map((n) => join(repoDir, n));
}

/** Runs the benchmark; see the module comment. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { signal } = options;
  const set = resolve(options.set);
  const moduleSet = await loadModuleSet(set, signal ? { signal } : {});
  if (options.mirrorFrom !== undefined) {
    // Each run passes these on as --mirror FROM=server; check them once here rather than have
    // every run fail, and name the flag the user actually gave.
    const mirrors = Object.fromEntries(options.mirrorFrom.map((from) => [from, '']));
    try {
      checkSetMirrors(moduleSet, mirrors);
    } catch (err) {
      if (!isApkgraphError(err)) throw err;
      throw new ApkgraphError(
        'ERR_USAGE',
        err.message.replace(/^--mirror (\S+)=…/, '--mirror-from $1'),
        {
          ...(err.hint ? { hint: err.hint } : {}),
        },
      );
    }
  }
  const parent = options.workDir ?? tmpdir();
  await mkdir(parent, { recursive: true });
  const workDir = await mkdtemp(join(parent, 'apkgraph-bench-'));
  try {
    return await benchIn(workDir, moduleSet, options);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Where the repository comes from: the option, or the set's demo repository. */
async function pickRepository(
  workDir: string,
  set: ModuleSet,
  options: BenchOptions,
): Promise<{
  dir: string;
  mirrorFrom: string[];
  keyring: string[];
  demoSeed?: { dir: string; relativePath: string };
}> {
  const logger = options.logger ?? nullLogger;
  if (options.repository !== undefined) {
    const dir = resolve(options.repository);
    return {
      dir,
      mirrorFrom: options.mirrorFrom ?? setRepositories(set),
      keyring: options.keyring ?? (await repositoryKeys(dir)),
    };
  }
  if (set.settings.demo === undefined) {
    throw new ApkgraphError('ERR_USAGE', `module set ${set.dir} has no demo repository`, {
      path: set.dir,
      hint: 'pass --repo with a repository folder, e.g. one made by "apkgraph repo synth"',
    });
  }
  const spec = await loadDemoRepoSpec(set.settings.demo);
  const demoCache = join(workDir, 'demo');
  const demo = await ensureDemoRepo(spec, demoCache, {
    logger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    dir: demo.dir,
    mirrorFrom: options.mirrorFrom ?? [...new Set([spec.repository, ...setRepositories(set)])],
    keyring: options.keyring ?? [demo.publicKeyPath],
    demoSeed: { dir: demo.dir, relativePath: relative(demoCache, demo.dir) },
  };
}

async function benchIn(
  workDir: string,
  set: ModuleSet,
  options: BenchOptions,
): Promise<BenchResult> {
  const logger = options.logger ?? nullLogger;
  const { signal } = options;
  const picked = await pickRepository(workDir, set, options);
  const { dir: repository, mirrorFrom, keyring } = picked;
  if (mirrorFrom.length === 0) {
    throw new ApkgraphError('ERR_USAGE', `module set ${set.dir} names no repository to mirror`, {
      path: set.dir,
      hint: 'pass --mirror-from URL for each repository the runs must fetch from the server',
    });
  }
  if (keyring.length === 0) {
    throw new ApkgraphError('ERR_USAGE', `no *.rsa.pub key in ${repository}`, {
      path: repository,
      hint: 'pass --keyring with the key the repository is signed with',
    });
  }
  const strategies = options.strategies ?? BENCH_DEFAULTS.strategies;
  const jobs = options.jobs ?? BENCH_DEFAULTS.jobs;
  const latencyMs = options.latencyMs ?? BENCH_DEFAULTS.latencyMs;
  const bandwidthBytesPerSec = options.bandwidthBytesPerSec ?? BENCH_DEFAULTS.bandwidthBytesPerSec;
  const result: BenchResult = {
    settings: {
      set: set.dir,
      repository,
      mirrorFrom,
      latencyMs,
      bandwidthBytesPerSec,
      jobs: [...jobs],
      strategies: [...strategies],
      node: process.version,
      cpus: availableParallelism(),
      startedAt: new Date().toISOString(),
    },
    rows: [],
  };
  const server = await startRepoServer({ root: repository, latencyMs, bandwidthBytesPerSec });
  logger.info('serving the repository', { url: server.url, root: repository });
  try {
    for (const strategy of strategies) {
      for (const j of jobs) {
        throwIfAborted(signal);
        logger.info('running', { strategy, jobs: j });
        const row = await runConfiguration({
          set: set.dir,
          strategy,
          jobs: j,
          server,
          mirrorFrom,
          keyring,
          workDir,
          bandwidthBytesPerSec,
          cpus: result.settings.cpus,
          ...(options.extraRunArgs ? { extraRunArgs: options.extraRunArgs } : {}),
          ...(picked.demoSeed ? { demoSeed: picked.demoSeed } : {}),
          logger,
          ...(signal ? { signal } : {}),
        });
        result.rows.push(row);
        if (!row.ok) logger.warn('run failed', { strategy, jobs: j, error: row.error });
        options.onRow?.(row);
      }
    }
  } finally {
    await server.close();
  }
  return result;
}

/** Writes bench.json, bench.md and bench.svg into `outDir`; returns their paths. */
export async function writeBenchOutputs(
  result: BenchResult,
  outDir: string,
): Promise<{ json: string; markdown: string; svg: string }> {
  const json = join(outDir, 'bench.json');
  const markdown = join(outDir, 'bench.md');
  const svg = join(outDir, 'bench.svg');
  // NaN (a figure the run's report lacks) becomes null in JSON, which readers can tell apart.
  await writeFileAtomic(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFileAtomic(markdown, formatMarkdown(result));
  await writeFileAtomic(svg, renderChart(result));
  return { json, markdown, svg };
}
