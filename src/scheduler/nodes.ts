/**
 * The work of config and build nodes, on top of {@link RunServices}.
 *
 * A config node locks its image for every arch: latest resolves the set's and the module's
 * packages; latest-dev starts from latest's lock (every locked version kept) and adds the dev
 * packages. With prefetch on, the node finishes only once every locked package of every arch is
 * in the cache, fetched through the cache's single flight, so dev fetches only what it adds.
 *
 * A build node makes sure its packages are cached (hits after a prefetch; without prefetch the
 * same single flight fetches the misses), builds every arch and writes one OCI layout with a
 * multi-arch index, published atomically, then apko's lock file at the layout's root.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { packagePin } from '../apk/types.js';
import type { BuildPackage, BuildRequest } from '../build/types.js';
import type { CacheStatus } from '../cache/counters.js';
import type { CachedPackage } from '../cache/package-cache.js';
import { ApkgraphError, InternalError, throwIfAborted, wrapError } from '../errors.js';
import { nodeId, type GraphNode } from '../graph/build-graph.js';
import { newSectionsMemo } from '../lock/cache-sections.js';
import { imageLockPath, variantLockText } from '../lock/set-lock.js';
import { effectiveConfig, type ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { imageSpecOf } from './image-spec.js';
import { packageRef, type LockedPackage, type RunServices, type UniverseKey } from './services.js';
import type { NodeRunners, TaskContext } from './types.js';

/** Cache outcomes of the requests one node made. */
export type NodeCacheCounts = Record<CacheStatus, number> & { bytes: number };

/** One arch of a config node's lock. */
export interface ArchLock {
  arch: string;
  /** The world the arch was resolved from. */
  world: string[];
  /** Packages in install order. */
  packages: LockedPackage[];
}

/** What a config node hands to its build node and to latest-dev. */
export interface ConfigValue {
  node: string;
  archs: ArchLock[];
  runtimeRepositories: string[];
  keyring: string[];
  /**
   * The "index" lock apko_config outputs for multi-arch images: `name=version` of every
   * package that every arch installs at the same version, in the first arch's order.
   */
  index: string[];
  /** Packages not in `index`: installed by some archs only, or at different versions. */
  archDifferences: string[];
  /** Cache requests of the prefetch (all zero without prefetch). */
  cache: NodeCacheCounts;
}

/** What a build node produced. */
export interface BuildValue {
  node: string;
  outDir: string;
  indexDigest: string;
  archs: Array<{ arch: string; manifestDigest: string; packages: number }>;
  cache: NodeCacheCounts;
}

/** Options of {@link createNodeRunners}. */
export interface NodeRunnerOptions<U> {
  set: ModuleSet;
  services: RunServices<U>;
  prefetch: boolean;
  overrides?: ConfigOverrides;
  /** Where images go: `<outRoot>/<module>/<variant>`. */
  outRoot: string;
  /**
   * Modules that have a build node in this run. A config node run only because another
   * module depends_on it does not prefetch: nothing will install its packages. Default: all.
   */
  builtModules?: ReadonlySet<string>;
  /** Parallel cache requests per node. Default 16. */
  fetchConcurrency?: number;
}

const emptyCounts = (): NodeCacheCounts => ({ hit: 0, coalesced: 0, miss: 0, bytes: 0 });

/** Runs `fn` over `items` with at most `limit` at once; stops starting new ones after a failure. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The config and build runners for `set`; universes are loaded once per key and shared. */
export function createNodeRunners<U>(
  options: NodeRunnerOptions<U>,
): NodeRunners<ConfigValue, BuildValue> {
  const { set, services } = options;
  const modules = new Map(set.modules.map((m) => [m.name, m]));
  const universes = new Map<string, Promise<U>>();
  const fetchConcurrency = options.fetchConcurrency ?? 16;
  // Packages recur across images: each cache entry's lock sections are computed once per run.
  const lockMemo = newSectionsMemo();

  const universe = (key: UniverseKey, signal: AbortSignal): Promise<U> => {
    const id = JSON.stringify([key.repositories, key.arch, [...key.keyring].sort()]);
    let p = universes.get(id);
    if (!p) {
      p = services.loadUniverse(key, { signal });
      // A failed load is not remembered: a later node may retry (e.g. after a mirror blip).
      p.catch(() => universes.delete(id));
      universes.set(id, p);
    }
    return p;
  };

  const ensureAll = async (
    locks: readonly ArchLock[],
    counts: NodeCacheCounts,
    signal: AbortSignal,
  ): Promise<Map<string, CachedPackage>> => {
    const jobs = locks.flatMap((l) => l.packages.map((p) => ({ arch: l.arch, p })));
    const out = new Map<string, CachedPackage>();
    await forEachLimited(jobs, fetchConcurrency, async ({ arch, p }) => {
      const ref = packageRef(p, arch);
      let got: CachedPackage;
      try {
        got = await services.ensure(ref, { signal });
      } catch (err) {
        throw wrapError(`fetching ${ref.name}-${ref.version} (${arch})`, err, 'ERR_CACHE', {
          package: `${ref.name}-${ref.version}`,
        });
      }
      counts[got.status] += 1;
      counts.bytes += got.sizes.signature + got.sizes.control + got.sizes.data;
      out.set(`${arch}\0${p.record.name}`, got);
    });
    return out;
  };

  const moduleOf = (node: GraphNode): NonNullable<ReturnType<typeof modules.get>> => {
    const m = modules.get(node.module);
    if (!m) throw new InternalError(`node ${node.id} names no module of the set`);
    return m;
  };

  const config = async (node: GraphNode, ctx: TaskContext<ConfigValue>): Promise<ConfigValue> => {
    const module = moduleOf(node);
    const latestCfg = effectiveConfig(set, module, 'latest', options.overrides);
    const own = effectiveConfig(set, module, node.variant, options.overrides);
    let base: ConfigValue | undefined;
    if (node.variant === 'latest-dev') {
      base = ctx.inputs.get(nodeId('config', node.module, 'latest'));
      if (!base) throw new InternalError(`${node.id} started without latest's lock`);
    }
    const archs: ArchLock[] = [];
    for (const arch of latestCfg.archs) {
      const u = await universe(
        { repositories: latestCfg.repositories, arch, keyring: latestCfg.keyring },
        ctx.signal,
      );
      let world = own.world;
      let locked: Map<string, string> | undefined;
      if (base) {
        const prev = base.archs.find((a) => a.arch === arch);
        if (!prev) throw new InternalError(`latest's lock of ${node.module} has no ${arch}`);
        locked = new Map(prev.packages.map((p) => [p.record.name, p.record.version]));
        world = [...new Set([...prev.packages.map((p) => packagePin(p.record)), ...own.world])];
      }
      try {
        const packages = services.resolve(world, u, locked ? { locked, arch } : { arch });
        archs.push({ arch, world, packages });
      } catch (err) {
        throw wrapError(`resolving for ${arch}`, err, 'ERR_RESOLVE');
      }
    }
    const value: ConfigValue = {
      node: node.id,
      archs,
      runtimeRepositories: latestCfg.runtimeRepositories,
      keyring: latestCfg.keyring,
      ...unifyArchs(archs),
      cache: emptyCounts(),
    };
    const built = options.builtModules?.has(node.module) ?? true;
    if (options.prefetch && built) await ensureAll(archs, value.cache, ctx.signal);
    return value;
  };

  const build = async (node: GraphNode, ctx: TaskContext<ConfigValue>): Promise<BuildValue> => {
    const module = moduleOf(node);
    const cfg = ctx.inputs.get(nodeId('config', node.module, node.variant));
    if (!cfg) throw new InternalError(`${node.id} started without its config`);
    const counts = emptyCounts();
    const cached = await ensureAll(cfg.archs, counts, ctx.signal);
    const keys = await services.readKeys(cfg.keyring);
    const image = imageSpecOf(module.apko.raw);
    const outDir = join(options.outRoot, node.module, node.variant);
    // Blobs go next to the output under a temporary name, so publishing is a rename on one disk.
    const blobsDir = tempPathFor(outDir);
    try {
      await mkdir(blobsDir, { recursive: true });
      throwIfAborted(ctx.signal);
      const results = await Promise.all(
        cfg.archs.map((lock) => {
          const req: BuildRequest = {
            arch: lock.arch,
            image,
            packages: lock.packages.map((p) =>
              buildPackage(p, cached.get(`${lock.arch}\0${p.record.name}`)),
            ),
            world: lock.world,
            repositories: cfg.runtimeRepositories,
            keys,
          };
          return services.buildArch(req, { blobsDir, signal: ctx.signal });
        }),
      );
      // apko's lock of the image, with the ranges of the entries it installed; computed before
      // publishing so the lock lands right after its layout (at the layout root, see
      // imageLockPath).
      const lockText = await variantLockText(
        {
          set,
          module,
          variant: node.variant,
          archs: cfg.archs,
          keys,
          entries: cached,
          ...(options.overrides ? { overrides: options.overrides } : {}),
        },
        { signal: ctx.signal, memo: lockMemo },
      );
      const { indexDigest } = await services.writeLayout(outDir, results, {
        blobsDir,
        tag: node.variant,
        annotations: image.annotations ?? {},
      });
      await writeFileAtomic(imageLockPath(outDir), lockText);
      return {
        node: node.id,
        outDir,
        indexDigest,
        archs: results.map((r, i) => ({
          arch: r.arch,
          manifestDigest: r.manifestDigest,
          packages: cfg.archs[i]?.packages.length ?? 0,
        })),
        cache: counts,
      };
    } finally {
      await rm(blobsDir, { recursive: true, force: true });
    }
  };

  return { config, build };
}

/** Splits the per-arch locks into what all archs agree on and what differs. */
export function unifyArchs(archs: readonly ArchLock[]): {
  index: string[];
  archDifferences: string[];
} {
  const versions = archs.map(
    (a) => new Map(a.packages.map((p) => [p.record.name, p.record.version])),
  );
  const names = new Set(versions.flatMap((v) => [...v.keys()]));
  const index: string[] = [];
  const archDifferences: string[] = [];
  for (const p of archs[0]?.packages ?? []) {
    const v = p.record.version;
    if (versions.every((m) => m.get(p.record.name) === v)) index.push(packagePin(p.record));
  }
  const agreed = new Set(index.map((pin) => pin.slice(0, pin.indexOf('='))));
  for (const name of [...names].sort()) if (!agreed.has(name)) archDifferences.push(name);
  return { index, archDifferences };
}

function buildPackage(p: LockedPackage, entry: CachedPackage | undefined): BuildPackage {
  if (!entry) {
    throw new ApkgraphError('ERR_INTERNAL', `internal error: ${p.record.name} was not cached`);
  }
  const r = p.record;
  return {
    name: r.name,
    version: r.version,
    arch: r.arch,
    origin: r.origin,
    license: r.license,
    description: r.description,
    url: r.url,
    size: r.size,
    installedSize: r.installedSize,
    buildTime: r.buildTime,
    commit: r.commit,
    depends: r.depends,
    provides: r.provides,
    installIf: r.installIf,
    replaces: r.replaces,
    providerPriority: r.providerPriority,
    checksum: r.checksum,
    maintainer: r.maintainer,
    controlPath: entry.controlPath,
    dataPath: entry.dataPath,
  };
}
