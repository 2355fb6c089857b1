/**
 * The shared APK cache: `ensure(pkg)` returns the package's verified cache entries, downloading
 * them at most once however many callers, threads and processes ask at the same time.
 *
 * Three layers keep duplicate downloads away:
 * 1. inside this process, a single-flight map: concurrent `ensure` calls for one package share
 *    one promise (and one worker task);
 * 2. across processes, a lock file per package: the first process downloads, the others wait
 *    for the lock and then find a hit;
 * 3. on disk, atomic publication: whatever happens, an entry appears whole or not at all.
 *
 * `coordination: 'none'` switches 1 and 2 off (every concurrent miss downloads; entries are
 * still published atomically). It exists as the control group for benchmarks that measure
 * what coordination is worth.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApkgraphError, AbortError, throwIfAborted, wrapError } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { fetchSource, packageLocation, type MirrorMap } from '../repo/location.js';
import { cacheFsError } from './fs-errors.js';
import { CounterSet, type CacheCounters, type CacheStatus } from './counters.js';
import { inspectEntry, VerifiedEntries, type EntryFiles } from './entry-check.js';
import { tryLock, waitForUnlock } from './entry-lock.js';
import type { FetchRunner } from './fetch-pool.js';
import { removeDeadTempFiles, type SectionLimits } from './fetch-task.js';
import { CacheLayout, checksumToHex, type EntryPaths, type PackageRef } from './layout.js';
import { SingleFlight } from './single-flight.js';

/** A package's cache entries, ready to read. */
export interface CachedPackage extends EntryFiles {
  /** How this call was served. */
  status: CacheStatus;
}

export type Coordination = 'single-flight' | 'none';

export interface PackageCacheOptions {
  /** The cache root (see {@link defaultCacheRoot}). */
  root: string;
  /** Runs the downloads: a {@link FetchPool}, threaded or in-process. */
  fetcher: FetchRunner;
  logger?: Logger;
  /** Default 'single-flight'. */
  coordination?: Coordination;
  /** Repository prefix → fetch-from prefix; cache paths keep the original. */
  mirrors?: MirrorMap;
  /** Never download: a missing entry is ERR_OFFLINE_MISSING. */
  offline?: boolean;
  /** A lock untouched this long is considered abandoned. Default 120 s. */
  lockStaleMs?: number;
  limits?: Partial<SectionLimits>;
}

/** The process-wide handle on one cache directory. */
export class PackageCache {
  readonly layout: CacheLayout;
  readonly #fetcher: FetchRunner;
  readonly #logger: Logger;
  readonly #coordination: Coordination;
  readonly #mirrors: MirrorMap | undefined;
  readonly #offline: boolean;
  readonly #lockStaleMs: number | undefined;
  readonly #limits: Partial<SectionLimits>;
  readonly #flights = new SingleFlight<CachedPackage>();
  readonly #counters = new CounterSet();
  readonly #verified = new VerifiedEntries();

  constructor(options: PackageCacheOptions) {
    this.layout = new CacheLayout(options.root);
    this.#fetcher = options.fetcher;
    this.#logger = options.logger ?? nullLogger;
    this.#coordination = options.coordination ?? 'single-flight';
    if (this.#coordination !== 'single-flight' && this.#coordination !== 'none') {
      throw new RangeError(
        `coordination must be 'single-flight' or 'none', got ${String(this.#coordination)}`,
      );
    }
    this.#mirrors = options.mirrors;
    this.#offline = options.offline ?? false;
    this.#lockStaleMs = options.lockStaleMs;
    this.#limits = options.limits ?? {};
  }

  /** Where a package's entries live (whether or not they exist yet). */
  entryPaths(pkg: PackageRef): EntryPaths {
    return this.layout.entryPaths(pkg);
  }

  /** A snapshot of the counters. */
  stats(): CacheCounters {
    return this.#counters.snapshot();
  }

  /** Returns the package's verified entries, fetching them if needed. */
  async ensure(pkg: PackageRef, options: { signal?: AbortSignal } = {}): Promise<CachedPackage> {
    const { signal } = options;
    const started = performance.now();
    this.#counters.request();
    const label = `${pkg.name}-${pkg.version}`;
    try {
      throwIfAborted(signal);
      let result: CachedPackage;
      if (this.#coordination === 'none') {
        result = await this.#resolve(pkg, false, signal);
      } else {
        const key = `${this.layout.packageDir(pkg)}\0${pkg.checksum ?? ''}`;
        const flight = this.#flights.run(key, (shared) => this.#resolve(pkg, true, shared), signal);
        const shared = await flight.promise;
        // A follower shares the leader's work: a hit stays a hit, anything else was a wait.
        result =
          flight.leader || shared.status === 'hit' ? shared : { ...shared, status: 'coalesced' };
      }
      const bytes = result.sizes.signature + result.sizes.control + result.sizes.data;
      this.#counters.record(result.status, performance.now() - started, bytes);
      return result;
    } catch (err) {
      const cancelled = err instanceof AbortError || signal?.aborted === true;
      this.#counters.record(cancelled ? 'cancelled' : 'failed', performance.now() - started);
      if (err instanceof AbortError) throw err;
      const cause = cacheFsError(err, this.layout.root);
      throw wrapError(`caching ${label}`, cause, 'ERR_CACHE', { package: label });
    }
  }

  /**
   * Ensures every package, `concurrency` at a time. Offline, all missing packages are gathered
   * into one ERR_OFFLINE_MISSING that lists them; online, the first failure is thrown.
   */
  async ensureAll(
    pkgs: readonly PackageRef[],
    options: { concurrency?: number; signal?: AbortSignal } = {},
  ): Promise<CachedPackage[]> {
    const out: CachedPackage[] = new Array<CachedPackage>(pkgs.length);
    const missing: string[] = [];
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < pkgs.length) {
        const i = next++;
        const pkg = pkgs[i]!;
        try {
          out[i] = await this.ensure(pkg, options.signal ? { signal: options.signal } : {});
        } catch (err) {
          if (err instanceof ApkgraphError && err.code === 'ERR_OFFLINE_MISSING') {
            missing.push(`${pkg.name}-${pkg.version} (${pkg.arch})`);
          } else {
            failure ??= err;
          }
        }
      }
    };
    const n = Math.max(1, Math.min(options.concurrency ?? 16, pkgs.length));
    await Promise.all(Array.from({ length: n }, worker));
    if (failure !== undefined) throw wrapError('prefetching packages', failure, 'ERR_CACHE');
    if (missing.length > 0) throw offlineMissing(missing);
    return out;
  }

  async #resolve(
    pkg: PackageRef,
    coordinate: boolean,
    signal?: AbortSignal,
  ): Promise<CachedPackage> {
    const paths = this.layout.entryPaths(pkg);
    const first = await this.#check(pkg, paths.dir);
    if (first) return { ...first, status: 'hit' };
    if (this.#offline) throw offlineMissing([`${pkg.name}-${pkg.version} (${pkg.arch})`]);
    if (!coordinate) return { ...(await this.#download(pkg, paths.dir, signal)), status: 'miss' };

    await mkdir(paths.dir, { recursive: true });
    const lockOpts = {
      ...(this.#lockStaleMs === undefined ? {} : { staleMs: this.#lockStaleMs }),
      ...(signal ? { signal } : {}),
    };
    let waited = false;
    for (;;) {
      const lock = await tryLock(paths.lockPath, lockOpts);
      if (lock) {
        try {
          // Another process may have finished between our check and our lock.
          const again = await this.#check(pkg, paths.dir);
          if (again) return { ...again, status: waited ? 'coalesced' : 'hit' };
          // A process killed mid-download left its temporary files here; they are ours now.
          await removeDeadTempFiles(paths.dir);
          return { ...(await this.#download(pkg, paths.dir, signal)), status: 'miss' };
        } finally {
          await lock.release();
        }
      }
      waited = (await waitForUnlock(paths.lockPath, lockOpts)) || waited;
      const after = await this.#check(pkg, paths.dir);
      if (after) return { ...after, status: 'coalesced' };
      // The holder failed or was killed: take our own turn.
    }
  }

  /** A complete entry, or undefined; a damaged entry is removed so it is fetched again. */
  async #check(pkg: PackageRef, dir: string): Promise<EntryFiles | undefined> {
    const key = verifiedKey(pkg, dir);
    const known = await this.#verified.get(key);
    if (known) return known;
    const state = await inspectEntry(dir, pkg);
    if (state.state === 'complete') {
      await this.#verified.remember(key, state.entry);
      return state.entry;
    }
    if (state.state === 'corrupt') {
      this.#logger.warn('damaged cache entry, fetching it again', {
        package: `${pkg.name}-${pkg.version}`,
        dir,
        reason: state.reason,
      });
      this.#counters.repaired();
      await removeEntryFiles(dir);
    }
    return undefined;
  }

  async #download(pkg: PackageRef, dir: string, signal?: AbortSignal): Promise<EntryFiles> {
    const location = packageLocation(pkg.repository, pkg.arch, pkg.name, pkg.version);
    const label = `${pkg.name}-${pkg.version}`;
    this.#logger.debug('fetching package', { package: label, location });
    const result = await this.#fetcher.run(
      {
        source: fetchSource(location, this.#mirrors),
        label,
        dir,
        ...(pkg.checksum ? { expectedControlSha1: checksumToHex(pkg.checksum, label) } : {}),
        limits: this.#limits,
      },
      signal ? { signal } : {},
    );
    const total = result.sizes.signature + result.sizes.control + result.sizes.data;
    const sizeMatches = pkg.size === undefined || total === pkg.size;
    if (!sizeMatches) {
      this.#logger.warn('package size differs from the index', {
        package: label,
        index: pkg.size,
        got: total,
      });
    }
    const entry: EntryFiles = {
      dir,
      controlPath: result.controlPath,
      dataPath: result.dataPath,
      ...(result.signaturePath ? { signaturePath: result.signaturePath } : {}),
      controlSha1: result.controlSha1,
      dataSha256: result.dataSha256,
      sizes: result.sizes,
    };
    // An entry whose size disagrees with the index fails the next full check; it is not
    // remembered, so later hits in this process judge it as a new process would.
    if (sizeMatches) await this.#verified.remember(verifiedKey(pkg, dir), entry);
    return entry;
  }
}

/** What a verified entry is remembered under: where it is and the record it matched. */
function verifiedKey(pkg: PackageRef, dir: string): string {
  return `${dir}\0${pkg.checksum ?? ''}\0${pkg.size ?? ''}`;
}

/** Removes a package's section files (not its lock, not other processes' temp files). */
async function removeEntryFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => /\.(ctl|sig|dat)\.tar(\.gz)?$/.test(n) && !n.startsWith('.'))
      .map((n) => rm(join(dir, n), { force: true })),
  );
}

function offlineMissing(labels: string[]): ApkgraphError {
  const shown = labels.slice(0, 20).join(', ');
  const more = labels.length > 20 ? ` and ${labels.length - 20} more` : '';
  return new ApkgraphError(
    'ERR_OFFLINE_MISSING',
    `offline, and ${labels.length} package(s) are not in the cache: ${shown}${more}`,
    { hint: 'run once online (or with prefetch) to fill the cache, then build with --offline' },
  );
}
