/**
 * A lock file per cache entry, so that processes sharing one cache download each package once.
 *
 * The lock is a file created with O_EXCL (atomic on local file systems) holding who took it:
 * pid, host, time and a random token. The holder touches it periodically while it works. A lock
 * is stale, and may be broken, when its holder is on this host and no longer alive, or when it
 * has not been touched for `staleMs` (a holder on another host, or a hung one).
 *
 * Breaking a stale lock is the delicate step: two waiters may both judge it stale, and the
 * slower one must not remove the fresh lock the faster one has just created. So a breaker
 * renames the lock to a private name first (rename is atomic: only one breaker gets any given
 * file) and checks that what it moved is the stale lock it judged (same token). If it is not,
 * it has moved a live lock and puts it back with link(), which refuses to overwrite.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ApkgraphError } from '../errors.js';
import { pause } from '../repo/retry.js';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** When it was taken (ms since the epoch). */
  time: number;
  token: string;
}

/** A held lock. */
export interface LockHandle {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock untouched for this long is stale. Default 120 s; holders touch it every third. */
  staleMs?: number;
  /** First poll interval while waiting (grows to 8× this). Default 10 ms. */
  pollMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_STALE_MS = 120_000;
const HOST = hostname();

/** Tries to take the lock once; `undefined` if someone else holds it. */
export async function tryLock(
  path: string,
  options: LockOptions = {},
): Promise<LockHandle | undefined> {
  const info: LockInfo = {
    pid: process.pid,
    host: HOST,
    time: Date.now(),
    token: randomBytes(8).toString('hex'),
  };
  let fh;
  try {
    fh = await open(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new ApkgraphError('ERR_CACHE', `cannot create lock ${path}`, {
      path,
      cause: err,
      hint: 'check that the cache directory is writable',
    });
  }
  try {
    await fh.writeFile(JSON.stringify(info));
  } finally {
    await fh.close();
  }
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    },
    Math.max(10, Math.floor(staleMs / 3)),
  );
  heartbeat.unref();
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      // Remove only our own lock: if it was broken as stale and retaken, it is someone else's.
      const current = await readLock(path);
      if (current?.token === info.token) await rm(path, { force: true });
    },
  };
}

/**
 * Waits until the lock at `path` is free (released or stale and broken). Does not take it.
 * Returns true if it had to wait at all.
 */
export async function waitForUnlock(path: string, options: LockOptions = {}): Promise<boolean> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const basePollMs = options.pollMs ?? 10;
  let delay = basePollMs;
  let waited = false;
  for (;;) {
    const st = await stat(path).catch(() => undefined);
    if (!st) return waited;
    const info = await readLock(path);
    if (isStale(info, st.mtimeMs, staleMs)) {
      await breakLock(path, info);
      continue;
    }
    waited = true;
    await pause(delay, options.signal);
    delay = Math.min(delay * 2, basePollMs * 8);
  }
}

/** Reads a lock file; undefined if it is gone or still being written. */
export async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    return parsed as LockInfo;
  } catch {
    return undefined;
  }
}

function isStale(info: LockInfo | undefined, mtimeMs: number, staleMs: number): boolean {
  if (Date.now() - mtimeMs > staleMs) return true;
  // An empty or half-written lock is being created right now, unless it is old (above).
  if (!info) return false;
  return info.host === HOST && !isProcessAlive(info.pid);
}

/** True if a process with this pid exists on this host. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function breakLock(path: string, judged: LockInfo | undefined): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it first
  }
  const moved = await readLock(aside);
  if (moved?.token !== judged?.token) {
    // We moved a lock taken after our judgement: put it back unless a newer one exists.
    await link(aside, path).catch(() => {});
  }
  await rm(aside, { force: true });
}
