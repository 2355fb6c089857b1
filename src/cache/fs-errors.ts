/**
 * File-system failures in the cache, turned into errors that say what to do. A raw `ENOTDIR`
 * or `ENOSPC` names a syscall; the user needs to know it is the cache directory that is
 * unusable, which one, and how to fix it.
 */
import { ApkgraphError, isApkgraphError } from '../errors.js';

const HINTS: Record<string, string> = {
  ENOSPC: 'the disk holding the cache is full; free space, or point --cache-dir elsewhere',
  EDQUOT: 'the disk quota for the cache is used up; free space, or point --cache-dir elsewhere',
  ENOTDIR: 'a path inside the cache directory is a file; point --cache-dir at a directory',
  EEXIST: 'a path inside the cache directory is a file; point --cache-dir at a directory',
  EACCES: 'the cache directory is not writable; fix its permissions or use another --cache-dir',
  EPERM: 'the cache directory is not writable; fix its permissions or use another --cache-dir',
  EROFS: 'the cache directory is on a read-only file system; use another --cache-dir',
};

/** The errno code of a Node file-system error, if it is one. */
export function fsErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * Wraps a file-system error met while using the cache at `path` as ERR_CACHE with a hint.
 * Returns anything else unchanged.
 */
export function cacheFsError(err: unknown, path: string): unknown {
  if (isApkgraphError(err)) return err;
  const code = fsErrorCode(err);
  if (code === undefined) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApkgraphError('ERR_CACHE', `cannot write to the cache at ${path}: ${message}`, {
    path,
    cause: err,
    hint: HINTS[code] ?? 'check the cache directory, or point --cache-dir elsewhere',
  });
}
