/**
 * What config and build nodes need from the rest of apkgraph: indexes, the resolver, the cache
 * and the builder. The node runners take these as an object, so tests run the whole scheduler
 * with fakes and `run` plugs in the real parts (see real-services.ts).
 */
import type { PackageRecord } from '../apk/types.js';
import type { ArchImageResult, BuildRequest } from '../build/types.js';
import type { CacheCounters } from '../cache/counters.js';
import type { CachedPackage } from '../cache/package-cache.js';
import type { PackageRef } from '../cache/layout.js';

/** A resolved package and the repository (original URL, never a mirror) it comes from. */
export interface LockedPackage {
  record: PackageRecord;
  repository: string;
}

/** The inputs of one universe: the packages of these repositories for one arch. */
export interface UniverseKey {
  repositories: readonly string[];
  arch: string;
  keyring: readonly string[];
}

/** What a config and a build node call. `U` is the resolver's universe type. */
export interface RunServices<U = unknown> {
  /** Loads (and verifies) the indexes of `key.repositories` for `key.arch`. */
  loadUniverse(key: UniverseKey, options: { signal: AbortSignal }): Promise<U>;
  /**
   * Resolves `world` into packages in install order. With `locked`, every package named there
   * keeps its version (latest-dev keeps latest's lock).
   */
  resolve(
    world: readonly string[],
    universe: U,
    options: { locked?: ReadonlyMap<string, string>; arch: string },
  ): LockedPackage[];
  /** Makes the package's cache entries exist (single-flight) and returns them. */
  ensure(pkg: PackageRef, options: { signal: AbortSignal }): Promise<CachedPackage>;
  /** Reads the public keys to install into images (`/etc/apk/keys`). */
  readKeys(keyring: readonly string[]): Promise<Array<{ name: string; pem: string }>>;
  /** Builds one arch's image into `blobsDir`. */
  buildArch(
    req: BuildRequest,
    options: { blobsDir: string; signal: AbortSignal },
  ): Promise<ArchImageResult>;
  /** Writes the multi-arch OCI layout at `outDir` from the per-arch results. */
  writeLayout(
    outDir: string,
    results: readonly ArchImageResult[],
    options: { blobsDir: string; tag: string; annotations: Record<string, string> },
  ): Promise<{ indexDigest: string }>;
  /** The cache counters so far (for progress and the report). */
  cacheStats(): CacheCounters;
}

/**
 * The package reference the cache keys an entry by. `arch` is the index's arch, not the
 * record's: a noarch package is fetched from (and cached under) the arch folder it was found in.
 */
export function packageRef(p: LockedPackage, arch: string): PackageRef {
  const ref: PackageRef = {
    repository: p.repository,
    arch,
    name: p.record.name,
    version: p.record.version,
  };
  if (p.record.checksum !== undefined) ref.checksum = p.record.checksum;
  if (p.record.size !== undefined) ref.size = p.record.size;
  return ref;
}
