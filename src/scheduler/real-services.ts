/**
 * The real {@link RunServices}: indexes through the repository client (ETag cache, mirrors,
 * offline), the apk-tools-compatible resolver, the shared package cache with its fetch pool, and
 * the image builder. One instance serves one run; close it to stop its workers and connections.
 */
import type { Keyring } from '../apk/keys.js';
import { BuildPool } from '../build/build-pool.js';
import { FetchPool, type PlainHttpOptions } from '../cache/fetch-pool.js';
import { defaultCacheRoot } from '../cache/layout.js';
import { PackageCache, type Coordination } from '../cache/package-cache.js';
import { wrapError } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { writeImageLayout } from '../oci/layout.js';
import { RepositoryClient } from '../repo/repository-client.js';
import { resolve } from '../resolve/resolve.js';
import { buildUniverse, type Repository, type Universe } from '../resolve/universe.js';
import type { RunServices } from './services.js';

/** Options of {@link createRealServices}. */
export interface RealServicesOptions {
  /** Cache root; default `~/.cache/apkgraph` (XDG_CACHE_HOME respected). */
  cacheDir?: string;
  mirrors?: Record<string, string>;
  offline?: boolean;
  /** Timeouts and retries of every HTTP request (indexes and packages). */
  http?: PlainHttpOptions;
  /** Fetch worker threads; default the fetch pool's own default. */
  fetchThreads?: number;
  /** Fetch in this thread (tests, tiny runs). */
  fetchInProcess?: boolean;
  /** Build worker threads; default the build pool's own default. */
  buildThreads?: number;
  /** Build in this thread (tests, tiny runs). */
  buildInProcess?: boolean;
  coordination?: Coordination;
  logger?: Logger;
}

/** `@tag URL` → {pin, url}; a plain URL → {url}. */
export function parseRepositoryEntry(entry: string): { url: string; pin?: string } {
  const m = /^@(\S+)\s+(\S+)$/.exec(entry.trim());
  return m ? { pin: m[1], url: m[2] as string } : { url: entry.trim() };
}

/** The real services plus `close()`. */
export function createRealServices(
  options: RealServicesOptions = {},
): RunServices<Universe> & { close(): Promise<void>; cache: PackageCache } {
  const logger = options.logger ?? nullLogger;
  const root = options.cacheDir ?? defaultCacheRoot();
  const mirrors = options.mirrors ?? {};
  const client = new RepositoryClient({
    cacheRoot: root,
    mirrors,
    offline: options.offline === true,
    ...(options.http ? { http: { ...options.http, logger } } : {}),
    logger,
  });
  const fetcher = new FetchPool({
    ...(options.http ? { http: options.http } : {}),
    ...(options.fetchThreads === undefined ? {} : { maxThreads: options.fetchThreads }),
    ...(options.fetchInProcess ? { inProcess: true, client: client.http } : {}),
  });
  const cache = new PackageCache({
    root,
    fetcher,
    logger,
    mirrors,
    offline: options.offline === true,
    ...(options.coordination ? { coordination: options.coordination } : {}),
  });
  const builder = new BuildPool({
    ...(options.buildThreads === undefined ? {} : { maxThreads: options.buildThreads }),
    ...(options.buildInProcess ? { inProcess: true, logger } : {}),
  });
  const keyrings = new Map<string, Promise<Keyring>>();
  const keyringOf = (entries: readonly string[], signal?: AbortSignal): Promise<Keyring> => {
    const id = JSON.stringify([...entries].sort());
    let k = keyrings.get(id);
    if (!k) {
      k = client.loadKeyring(entries, signal ? { signal } : {});
      k.catch(() => keyrings.delete(id));
      keyrings.set(id, k);
    }
    return k;
  };

  return {
    cache,
    async loadUniverse(key, { signal }) {
      const keyring = await keyringOf(key.keyring, signal);
      const repos: Repository[] = [];
      for (const entry of key.repositories) {
        const { url, pin } = parseRepositoryEntry(entry);
        const loaded = await client.loadIndex(url, key.arch, { keyring, signal });
        repos.push({
          url: loaded.repository,
          packages: loaded.index.packages,
          ...(pin === undefined ? {} : { pin }),
        });
      }
      return buildUniverse(repos, { arch: key.arch, logger });
    },
    resolve(world, universe, { locked }) {
      const r = resolve(world, universe, locked ? { locked, logger } : { logger });
      return r.packages.map((p) => ({ record: p.record, repository: p.repository }));
    },
    ensure: (ref, { signal }) => cache.ensure(ref, { signal }),
    async readKeys(entries) {
      const keyring = await keyringOf(entries);
      return keyring.keys.map((k) => ({ name: k.name, pem: k.pem }));
    },
    async buildArch(req, { blobsDir, signal }) {
      try {
        return await builder.run(req, { blobsDir, signal });
      } catch (err) {
        throw wrapError(`building ${req.arch}`, err, 'ERR_BUILD');
      }
    },
    async writeLayout(outDir, results, opts) {
      const r = await writeImageLayout(outDir, results, opts);
      return { indexDigest: r.indexDigest };
    },
    cacheStats: () => cache.stats(),
    async close() {
      await builder.close();
      await fetcher.close();
      await client.close();
    },
  };
}
