/**
 * Looking after a cache directory: what is in it (`stats`), whether every entry still matches
 * its hashes (`verify`), and removing it or the leftovers of killed processes (`clean`).
 *
 * Leftovers are temporary files (`.tmp-*`), moved-aside stale locks (`.lock.stale-*`) and lock
 * files whose holder is gone. Another process may be writing a temporary file right now, so
 * cleaning leftovers only touches files older than `minAgeMs`.
 */
import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../errors.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { inspectEntry } from './entry-check.js';
import { hexToChecksum } from './layout.js';

/** What `stats` found. */
export interface CacheInventory {
  root: string;
  repositories: string[];
  indexFiles: number;
  packageDirs: number;
  /** Control files, one per cached package version and checksum. */
  entries: number;
  leftovers: number;
  bytes: number;
}

/** One entry that failed verification. */
export interface BadEntry {
  dir: string;
  reason: string;
}

export interface VerifyReport {
  checked: number;
  bad: BadEntry[];
  /** Entries removed because of `fix`. */
  removed: number;
}

export interface CleanReport {
  /** Paths removed, or that would be removed with `dryRun`. */
  paths: string[];
  bytes: number;
}

interface Walked {
  repoDirs: string[];
  indexFiles: string[];
  packageDirs: string[];
  leftovers: string[];
  bytes: number;
}

const LEFTOVER = (name: string): boolean =>
  name.startsWith(TEMP_PREFIX) || name.includes('.lock.stale-') || name === '.lock';

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/**
 * True for a top-level folder name that is an escaped repository (layout.ts): it decodes to a
 * URL with a scheme or to a path (`/…`, `./…`). Anything else at the top (apkgraph's own
 * `.apkgraph` folder, a folder someone put there) is not a cache entry, so maintenance leaves it
 * alone.
 */
function isRepositoryDirName(name: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return false;
  }
  return /^(\/|\.\.?\/|[a-z][a-z0-9+.-]*:\/\/)/i.test(decoded);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Walks `<root>/<repo>/<arch>/…`, the layout in layout.ts. */
async function walk(root: string, signal?: AbortSignal): Promise<Walked> {
  const out: Walked = { repoDirs: [], indexFiles: [], packageDirs: [], leftovers: [], bytes: 0 };
  const sizeOf = async (path: string): Promise<number> =>
    (await lstat(path).catch(() => undefined))?.size ?? 0;
  for (const repo of await list(root)) {
    const repoDir = join(root, repo);
    if (repo === 'keys') {
      for (const d of await list(repoDir)) {
        for (const k of await list(join(repoDir, d)))
          out.bytes += await sizeOf(join(repoDir, d, k));
      }
      continue;
    }
    if (LEFTOVER(repo)) {
      out.leftovers.push(repoDir);
      continue;
    }
    if (!isRepositoryDirName(repo) || !(await isDirectory(repoDir))) continue;
    out.repoDirs.push(repoDir);
    for (const arch of await list(repoDir)) {
      const archDir = join(repoDir, arch);
      for (const name of await list(archDir)) {
        throwIfAborted(signal);
        const path = join(archDir, name);
        if (LEFTOVER(name)) {
          out.leftovers.push(path);
          continue;
        }
        if (!(await isDirectory(path))) continue;
        const files = await list(path);
        for (const f of files) {
          const p = join(path, f);
          if (LEFTOVER(f)) out.leftovers.push(p);
          else if (name === 'APKINDEX') out.indexFiles.push(p);
          out.bytes += await sizeOf(p);
        }
        if (name !== 'APKINDEX') out.packageDirs.push(path);
      }
    }
  }
  return out;
}

/** Counts what the cache holds. */
export async function cacheInventory(
  root: string,
  options: { signal?: AbortSignal } = {},
): Promise<CacheInventory> {
  const w = await walk(root, options.signal);
  let entries = 0;
  for (const dir of w.packageDirs) {
    entries += (await list(dir)).filter(
      (n) => n.endsWith('.ctl.tar.gz') && !n.startsWith('.'),
    ).length;
  }
  return {
    root,
    repositories: w.repoDirs.map((d) =>
      decodeURIComponent(d.slice(root.length + 1).replace(/\+/g, ' ')),
    ),
    indexFiles: w.indexFiles.length,
    packageDirs: w.packageDirs.length,
    entries,
    leftovers: w.leftovers.length,
    bytes: w.bytes,
  };
}

/**
 * Re-hashes every entry (control and data). With `fix`, removes the section files of bad entries
 * so the next run fetches them again.
 */
export async function verifyCache(
  root: string,
  options: { fix?: boolean; signal?: AbortSignal } = {},
): Promise<VerifyReport> {
  const w = await walk(root, options.signal);
  const report: VerifyReport = { checked: 0, bad: [], removed: 0 };
  for (const dir of w.packageDirs) {
    throwIfAborted(options.signal);
    const names = (await list(dir)).filter((n) => !n.startsWith('.'));
    const controls = names.filter((n) => /^[0-9a-f]{40}\.ctl\.tar\.gz$/.test(n));
    const stem = dir.slice(dir.lastIndexOf('/') + 1);
    if (controls.length === 0) {
      if (names.length > 0) report.bad.push({ dir, reason: 'sections without a control file' });
      continue;
    }
    for (const ctl of controls) {
      report.checked++;
      const checksum = hexToChecksum(ctl.slice(0, 40));
      const state = await inspectEntry(
        dir,
        { name: stem, version: '', checksum },
        { rehashData: true },
      );
      if (state.state !== 'complete') {
        report.bad.push({ dir, reason: state.state === 'corrupt' ? state.reason : 'incomplete' });
      }
    }
  }
  if (options.fix) {
    for (const bad of report.bad) {
      const names = (await list(bad.dir)).filter((n) => /\.(ctl|sig|dat)\.tar(\.gz)?$/.test(n));
      const removed = await Promise.all(
        names.map((n) =>
          rm(join(bad.dir, n)).then(
            () => true,
            () => false,
          ),
        ),
      );
      // Count an entry only when something of it was actually deleted.
      if (removed.some(Boolean)) report.removed++;
    }
  }
  return report;
}

/**
 * Removes everything under `root` or, with `leftoversOnly`, the leftovers older than
 * `minAgeMs` (default 10 minutes). With `dryRun` nothing is removed.
 */
export async function cleanCache(
  root: string,
  options: {
    dryRun?: boolean;
    leftoversOnly?: boolean;
    minAgeMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<CleanReport> {
  const report: CleanReport = { paths: [], bytes: 0 };
  if (options.leftoversOnly) {
    const w = await walk(root, options.signal);
    const cutoff = Date.now() - (options.minAgeMs ?? 10 * 60_000);
    for (const p of w.leftovers) {
      const st = await lstat(p).catch(() => undefined);
      if (!st || st.mtimeMs > cutoff) continue;
      report.paths.push(p);
      report.bytes += st.size;
      if (!options.dryRun) await rm(p, { recursive: true, force: true });
    }
    return report;
  }
  const inventory = await cacheInventory(root, options.signal ? { signal: options.signal } : {});
  report.bytes = inventory.bytes;
  for (const name of await list(root)) {
    const p = join(root, name);
    report.paths.push(p);
    if (!options.dryRun) await rm(p, { recursive: true, force: true });
  }
  return report;
}
