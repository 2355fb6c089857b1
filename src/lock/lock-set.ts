/**
 * `apkgraph lock SET`: one apko lock file per module variant, without building anything.
 *
 * The config nodes run exactly as in `apkgraph run` (latest resolves the set's and the module's
 * packages, latest-dev extends latest's lock), then each variant's lock is written with the
 * byte ranges of whatever the cache already holds. With `fetch`, the config nodes first
 * download every locked package through the cache (like `run --prefetch`), so every package
 * gets its ranges, as in a lock written by apko.
 */
import type { CacheLayout } from '../cache/layout.js';
import { throwIfAborted } from '../errors.js';
import type { BuildGraph, Variant } from '../graph/build-graph.js';
import type { ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';
import { resolveSetConfigs } from '../scheduler/resolve-set.js';
import type { RunServices } from '../scheduler/services.js';
import { lookupCachedEntries, newSectionsMemo } from './cache-sections.js';
import { variantLockPath, writeVariantLock } from './set-lock.js';

/** Options of {@link lockModuleSet}. */
export interface LockModuleSetOptions<U> {
  services: RunServices<U>;
  /** Where the cache entries are looked up (the services' cache). */
  layout: CacheLayout;
  /** Locks go to `<outRoot>/<module>/<variant>.apko.lock.json`. */
  outRoot: string;
  overrides?: ConfigOverrides;
  /** Download every locked package first, so every package gets its byte ranges. */
  fetch?: boolean;
  /** Config nodes at once. Default 4. */
  concurrency?: number;
  signal?: AbortSignal;
}

/** One written lock. */
export interface WrittenLock {
  module: string;
  variant: Variant;
  path: string;
  packages: number;
  /** Packages written with byte ranges (those found in the cache). */
  withRanges: number;
}

/** Locks every image `graph` builds and writes its lock file; the first failure is thrown. */
export async function lockModuleSet<U>(
  set: ModuleSet,
  graph: BuildGraph,
  options: LockModuleSetOptions<U>,
): Promise<WrittenLock[]> {
  const { services, signal } = options;
  const configs = await resolveSetConfigs(set, graph, {
    services,
    prefetch: options.fetch === true,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(signal ? { signal } : {}),
  });
  const modules = new Map(set.modules.map((m) => [m.name, m]));
  const memo = newSectionsMemo();
  const written: WrittenLock[] = [];
  for (const [id, value] of configs) {
    throwIfAborted(signal);
    const node = graph.node(id);
    const module = modules.get(node.module);
    if (!module) continue;
    const entries = await lookupCachedEntries(
      options.layout,
      value.archs,
      signal ? { signal } : {},
    );
    const keys = await services.readKeys(value.keyring);
    const path = variantLockPath(options.outRoot, node.module, node.variant);
    await writeVariantLock(
      path,
      {
        set,
        module,
        variant: node.variant,
        archs: value.archs,
        keys,
        entries,
        ...(options.overrides ? { overrides: options.overrides } : {}),
      },
      { memo, ...(signal ? { signal } : {}) },
    );
    written.push({
      module: node.module,
      variant: node.variant,
      path,
      packages: value.archs.reduce((n, a) => n + a.packages.length, 0),
      withRanges: entries.size,
    });
  }
  return written;
}
