/**
 * Loading repository indexes and signing keys, with the ETag cache and offline mode.
 *
 * Online, an index is HEADed once per client (that is, once per run) for its ETag; the file is
 * cached as `APKINDEX/<base32(etag)>.tar.gz` and a known ETag is a hit without a download. The
 * file is named by the GET response's ETag, not the HEAD's, in case the index changed between
 * the two. A server that sends no ETag still gets its index cached, under the base32 of
 * `sha256:<hex of the bytes>`: such a file is never a hit online (there is nothing to revalidate
 * against, so it is downloaded every run), but it lets `--offline` work afterwards.
 *
 * Offline, the newest cached index (by mtime) is used, as go-apk does. Local repositories
 * (`file://` URLs and paths) are read in place and never cached.
 *
 * Every index is verified against the keyring each time it is read, cached or not: the cache
 * directory is shared and writable, so its contents are not trusted on their own.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readApkIndex, type ApkIndex } from '../apk/apkindex-file.js';
import { loadKeyring, type Keyring } from '../apk/keys.js';
import { cacheFsError } from '../cache/fs-errors.js';
import { CacheLayout } from '../cache/layout.js';
import {
  AbortError,
  ApkgraphError,
  isApkgraphError,
  throwIfAborted,
  wrapError,
} from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { writeFileAtomic } from '../util/atomic.js';
import { HttpClient, type HttpClientOptions } from './http-client.js';
import {
  fetchSource,
  indexLocation,
  normalizeRepository,
  queryEscape,
  type MirrorMap,
} from './location.js';

export interface RepositoryClientOptions {
  /** Cache root; without one, remote indexes are not cached (and offline cannot work). */
  cacheRoot?: string;
  mirrors?: MirrorMap;
  offline?: boolean;
  /** An existing HTTP client (shared connection pool), or options for a new one. */
  http?: HttpClient | HttpClientOptions;
  /** Largest index accepted, compressed. Default 64 MiB. */
  maxIndexBytes?: number;
  logger?: Logger;
}

export interface LoadIndexOptions {
  keyring?: Keyring;
  /** Accept an index without a verifying signature. */
  allowUnsigned?: boolean;
  signal?: AbortSignal;
}

/** A parsed index and where it came from. */
export interface LoadedIndex {
  /** The original repository (never the mirror). */
  repository: string;
  arch: string;
  index: ApkIndex;
  /** The ETag it is cached under, when the server gave one. */
  etag?: string;
  /** The file it was read from (cache or local repository). */
  path?: string;
  from: 'network' | 'cache' | 'local';
}

const DEFAULT_MAX_INDEX = 64 * 1024 * 1024;

function isCode(err: unknown, code: string): boolean {
  return isApkgraphError(err) && err.code === code;
}

/** An index's bytes as fetched this run, before verification. */
interface RawIndex {
  bytes: Buffer;
  etag?: string;
  /** Where the bytes are cached. */
  path?: string;
  /** Where they go once a caller has verified them (downloaded, not yet cached). */
  pendingPath?: string;
  from: 'network' | 'cache';
}

/** Fetches indexes and keys for one run. Close it to release its connections. */
export class RepositoryClient {
  readonly http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #layout: CacheLayout | undefined;
  readonly #mirrors: MirrorMap | undefined;
  readonly #offline: boolean;
  readonly #maxIndexBytes: number;
  readonly #logger: Logger;
  /** Index URL → its bytes for this run (HEAD once per index per run). */
  readonly #rawIndexes = new Map<string, Promise<RawIndex>>();

  constructor(options: RepositoryClientOptions = {}) {
    this.#ownsHttp = !(options.http instanceof HttpClient);
    this.http =
      options.http instanceof HttpClient
        ? options.http
        : new HttpClient({ ...(options.http ?? {}), logger: options.logger ?? nullLogger });
    this.#layout = options.cacheRoot === undefined ? undefined : new CacheLayout(options.cacheRoot);
    this.#mirrors = options.mirrors;
    this.#offline = options.offline ?? false;
    this.#maxIndexBytes = options.maxIndexBytes ?? DEFAULT_MAX_INDEX;
    this.#logger = options.logger ?? nullLogger;
  }

  /** Loads and verifies `<repo>/<arch>/APKINDEX.tar.gz`. */
  async loadIndex(
    repo: string,
    arch: string,
    options: LoadIndexOptions = {},
  ): Promise<LoadedIndex> {
    const repository = normalizeRepository(repo);
    const location = indexLocation(repository, arch);
    try {
      throwIfAborted(options.signal);
      const source = fetchSource(location, this.#mirrors);
      if (source.kind === 'file') {
        const bytes = await readLocal(source.path);
        const index = this.#parse(bytes, location, options);
        return { repository, arch, index, path: source.path, from: 'local' };
      }
      if (this.#offline) return await this.#loadOffline(repository, arch, location, options);
      return await this.#loadRemote(repository, arch, source.url, location, options);
    } catch (err) {
      throw wrapError(`loading index ${location}`, err, 'ERR_IO', { url: location });
    }
  }

  /**
   * Builds a keyring from key files, directories and URLs. URL keys are cached under
   * `<root>/keys/<queryescape(url directory)>/<key name>` so offline runs can use them.
   */
  async loadKeyring(
    entries: readonly string[],
    options: { signal?: AbortSignal } = {},
  ): Promise<Keyring> {
    const paths: string[] = [];
    for (const entry of entries) {
      const source = fetchSource(entry, this.#mirrors);
      if (source.kind === 'file') {
        paths.push(source.path);
        continue;
      }
      paths.push(await this.#fetchKey(entry, source.url, options.signal));
    }
    return loadKeyring(paths);
  }

  async close(): Promise<void> {
    if (this.#ownsHttp) await this.http.close();
  }

  async #loadRemote(
    repository: string,
    arch: string,
    url: string,
    location: string,
    options: LoadIndexOptions,
  ): Promise<LoadedIndex> {
    let raw = await this.#raw(repository, arch, url, options.signal);
    let index: ApkIndex;
    try {
      // Verify before caching: an index that fails its signature must not land in the cache.
      index = this.#parse(raw.bytes, location, options);
    } catch (err) {
      // A damaged cached copy (truncated, altered) is removed and fetched again, as damaged
      // package entries are. An untrusted signer would fail the same way on a fresh copy.
      if (raw.from !== 'cache' || raw.path === undefined || isCode(err, 'ERR_UNTRUSTED')) throw err;
      this.#logger.warn('damaged cached index, downloading it again', {
        path: raw.path,
        reason: err instanceof Error ? err.message : String(err),
      });
      await rm(raw.path, { force: true });
      await this.#forget(url, raw);
      raw = await this.#raw(repository, arch, url, options.signal);
      index = this.#parse(raw.bytes, location, options);
    }
    if (raw.pendingPath !== undefined) {
      const path = raw.pendingPath;
      raw.pendingPath = undefined;
      await writeFileAtomic(path, raw.bytes).catch((err: unknown) => {
        throw cacheFsError(err, path);
      });
      raw.path = path;
    }
    return {
      repository,
      arch,
      index,
      ...(raw.etag ? { etag: raw.etag } : {}),
      ...(raw.path ? { path: raw.path } : {}),
      from: raw.from,
    };
  }

  /**
   * The index bytes for this run: HEAD (once), then the cached file or a GET. Concurrent and
   * later calls share the result; a failure is forgotten so the next call tries again.
   */
  async #raw(
    repository: string,
    arch: string,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<RawIndex> {
    for (;;) {
      let pending = this.#rawIndexes.get(url);
      if (!pending) {
        pending = this.#fetchRaw(repository, arch, url, signal);
        this.#rawIndexes.set(url, pending);
        pending.catch(() => this.#rawIndexes.delete(url));
      }
      try {
        return await pending;
      } catch (err) {
        // Another caller's cancellation is not ours: try again with our own signal.
        if (err instanceof AbortError && signal?.aborted !== true) continue;
        throw err;
      }
    }
  }

  /** Drops the memoised bytes for `url` if they are still `raw` (not already replaced). */
  async #forget(url: string, raw: RawIndex): Promise<void> {
    const current = this.#rawIndexes.get(url);
    if (current && (await current.catch(() => undefined)) === raw) this.#rawIndexes.delete(url);
  }

  async #fetchRaw(
    repository: string,
    arch: string,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<RawIndex> {
    const opts = signal ? { signal } : {};
    const head = await this.http.head(url, opts);
    const etag = head.supported ? head.etag : undefined;
    if (etag !== undefined && this.#layout) {
      const path = this.#layout.indexPath(repository, arch, etag);
      const cached = await readFile(path).catch(() => undefined);
      if (cached) return { bytes: cached, etag, path, from: 'cache' };
    }
    const got = await this.http.getBytes(url, {
      ...opts,
      limit: {
        bytes: this.#maxIndexBytes,
        option: 'the maxIndexBytes option of the repository client',
      },
    });
    this.#logger.debug('downloaded index', { url, etag: got.etag, bytes: got.bytes.length });
    // Named by the GET's ETag: the index may have changed since the HEAD.
    const name = got.etag ?? `sha256:${createHash('sha256').update(got.bytes).digest('hex')}`;
    return {
      bytes: got.bytes,
      ...(got.etag ? { etag: got.etag } : {}),
      ...(this.#layout ? { pendingPath: this.#layout.indexPath(repository, arch, name) } : {}),
      from: 'network',
    };
  }

  async #loadOffline(
    repository: string,
    arch: string,
    location: string,
    options: LoadIndexOptions,
  ): Promise<LoadedIndex> {
    const dir = this.#layout?.indexDir(repository, arch);
    const names = dir ? await readdir(dir).catch(() => [] as string[]) : [];
    const found: Array<{ path: string; mtimeMs: number }> = [];
    for (const n of names.filter((x) => x.endsWith('.tar.gz') && !x.startsWith('.'))) {
      const path = join(dir!, n);
      const st = await stat(path).catch(() => undefined);
      if (st) found.push({ path, mtimeMs: st.mtimeMs });
    }
    if (found.length === 0) {
      throw new ApkgraphError(
        'ERR_OFFLINE_MISSING',
        `offline, and no cached index for ${location}`,
        {
          url: location,
          ...(dir ? { path: dir } : {}),
          hint: 'run once online with the same --cache-dir to cache the index, then use --offline',
        },
      );
    }
    // Newest first; a damaged newest copy falls back to the one before it.
    found.sort((a, b) => b.mtimeMs - a.mtimeMs);
    let firstError: unknown;
    for (const f of found) {
      try {
        const index = this.#parse(await readFile(f.path), location, options);
        return { repository, arch, index, path: f.path, from: 'cache' };
      } catch (err) {
        firstError ??= err;
        this.#logger.warn('cached index unusable, trying an older one', { path: f.path });
      }
    }
    throw firstError;
  }

  async #fetchKey(entry: string, url: string, signal: AbortSignal | undefined): Promise<string> {
    const name = basename(new URL(entry).pathname);
    const dirUrl = entry.slice(0, entry.length - name.length).replace(/\/+$/, '');
    if (!this.#layout) {
      throw new ApkgraphError('ERR_CONFIG', `key ${entry} is a URL but no cache directory is set`, {
        url: entry,
        hint: 'give a --cache-dir, or download the key and pass its path',
      });
    }
    const path = join(this.#layout.root, 'keys', queryEscape(dirUrl), name);
    const cached = await stat(path).catch(() => undefined);
    // Keys are named by their fingerprint and never change, so a cached key is not revalidated.
    if (cached || this.#offline) {
      if (!cached) {
        throw new ApkgraphError('ERR_OFFLINE_MISSING', `offline, and key ${entry} is not cached`, {
          url: entry,
          hint: 'run once online to cache the key, or pass the key file by path',
        });
      }
      return path;
    }
    const got = await this.http.getBytes(url, {
      ...(signal ? { signal } : {}),
      limit: { bytes: 64 * 1024, option: 'the key size limit (64 KiB)' },
    });
    await writeFileAtomic(path, got.bytes).catch((err: unknown) => {
      throw cacheFsError(err, path);
    });
    return path;
  }

  #parse(bytes: Uint8Array, source: string, options: LoadIndexOptions): ApkIndex {
    try {
      return readApkIndex(bytes, {
        source,
        ...(options.keyring ? { keyring: options.keyring } : {}),
        ...(options.allowUnsigned ? { allowUnsigned: true } : {}),
      });
    } catch (err) {
      // run, plan and lock always require a signature, so the only way forward the user has
      // is to trust the signing key; say that rather than suggest accepting unsigned indexes.
      if (!isApkgraphError(err) || err.code !== 'ERR_UNTRUSTED' || options.allowUnsigned) throw err;
      const where = '--keyring FILE, or the keyring of the set (apkgraph.yaml) or config';
      const hint = err.hint?.includes('unsigned')
        ? `add the key that signs this index with ${where} (contents.keyring)`
        : `${err.hint ?? 'add the signing key to the keyring'} (${where})`;
      throw new ApkgraphError('ERR_UNTRUSTED', err.message, { ...err.subject, hint, cause: err });
    }
  }
}

/**
 * One-shot form of {@link RepositoryClient.loadIndex}: creates a client, loads, closes. Prefer a
 * long-lived client in a run, so each index is HEADed once.
 */
export async function loadRepositoryIndex(
  repo: string,
  arch: string,
  options: RepositoryClientOptions & LoadIndexOptions = {},
): Promise<LoadedIndex> {
  const { keyring, allowUnsigned, signal, ...clientOptions } = options;
  const client = new RepositoryClient(clientOptions);
  try {
    return await client.loadIndex(repo, arch, {
      ...(keyring ? { keyring } : {}),
      ...(allowUnsigned ? { allowUnsigned } : {}),
      ...(signal ? { signal } : {}),
    });
  } finally {
    await client.close();
  }
}

async function readLocal(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ApkgraphError(missing ? 'ERR_NOT_FOUND' : 'ERR_IO', `cannot read ${path}`, {
      path,
      cause: err,
      hint: missing ? 'check the repository path and arch' : 'check file permissions',
    });
  }
}
