/**
 * Locking one image: resolve its apko config on every architecture and unify the results, the
 * way apko's `LockImageConfiguration` feeds terraform's `apko_config`.
 *
 * Each architecture gets its exact `name=version` list in install order. The "index" list is
 * the part all architectures agree on: a package resolved to the same version everywhere is
 * pinned; a package named in the config whose version differs between architectures keeps its
 * original constraint (so each build still floats to the right version); anything else that
 * differs is left to the per-architecture lists.
 */
import type { ApkoConfig } from '../config/apko.js';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { prepareWorld, resolve, type Resolution } from '../resolve/resolve.js';
import type { Universe } from '../resolve/universe.js';

export interface LockImageInput {
  config: ApkoConfig;
  /** The universe of each architecture to lock, by apk name; iteration order is lock order. */
  universes: ReadonlyMap<string, Universe>;
  /** Constraints added to `contents.packages` (a module set's base packages, dev extras). */
  extraPackages?: readonly string[];
  /**
   * Versions to keep per architecture, e.g. latest's lock when locking latest-dev, so the dev
   * variant only adds its tools.
   */
  lockedByArch?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Fail with ERR_LOCK instead of warning when a configured package differs by architecture. */
  requireConsistent?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
}

/** A package whose version is not the same on every architecture. */
export interface ArchDifference {
  name: string;
  /** Version per architecture; undefined where the architecture does not install it. */
  versions: Record<string, string | undefined>;
  /** True when the config names the package, so the index keeps its original constraint. */
  configured: boolean;
}

/** The result of locking one image. */
export interface ImageLock {
  archs: string[];
  /** The constraints solved (config packages then extras). */
  world: string[];
  resolutions: Map<string, Resolution>;
  /** `name=version` in install order, per architecture. */
  perArch: Map<string, string[]>;
  /** The unified list for all architectures. */
  index: string[];
  differences: ArchDifference[];
}

/** Resolves `input.config` on every architecture and unifies the locks. */
export function lockImage(input: LockImageInput): ImageLock {
  const world = [...(input.config.contents?.packages ?? []), ...(input.extraPackages ?? [])];
  const archs = [...input.universes.keys()];
  if (archs.length === 0) {
    throw new ApkgraphError('ERR_LOCK', 'nothing to lock: no architecture was given', {
      hint: 'set archs in the config or pass --arch',
    });
  }
  const resolutions = new Map<string, Resolution>();
  const perArch = new Map<string, string[]>();
  for (const [arch, universe] of input.universes) {
    throwIfAborted(input.signal);
    let res: Resolution;
    try {
      const locked = input.lockedByArch?.get(arch);
      res = resolve(world, universe, {
        ...(locked ? { locked } : {}),
        ...(input.logger ? { logger: input.logger } : {}),
      });
    } catch (err) {
      throw wrapError(`locking for ${arch}`, err, 'ERR_RESOLVE');
    }
    resolutions.set(arch, res);
    perArch.set(
      arch,
      res.packages.map((p) => `${p.name}=${p.version}`),
    );
  }
  const { index, differences } = unify(world, archs, resolutions, input.universes);
  for (const d of differences) {
    if (!d.configured) continue;
    const detail = Object.entries(d.versions)
      .map(([a, v]) => `${a}: ${v ?? 'not installed'}`)
      .join(', ');
    if (input.requireConsistent) {
      const arch = Object.keys(d.versions).find(
        (a) => d.versions[a] !== d.versions[archs[0] ?? ''],
      );
      throw new ApkgraphError(
        'ERR_LOCK',
        `unable to lock ${d.name} to one version on every architecture (${detail})`,
        {
          package: d.name,
          hint:
            `pin ${d.name} to a version available on ${arch ?? 'every architecture'}, ` +
            `or lock the architectures separately`,
        },
      );
    }
    input.logger?.warn('package differs between architectures; the index keeps its constraint', {
      package: d.name,
      versions: detail,
    });
  }
  return { archs, world, resolutions, perArch, index, differences };
}

function unify(
  world: readonly string[],
  archs: readonly string[],
  resolutions: ReadonlyMap<string, Resolution>,
  universes: ReadonlyMap<string, Universe>,
): { index: string[]; differences: ArchDifference[] } {
  const first = archs[0] as string;
  const firstUniverse = universes.get(first) as Universe;
  const configured = new Map<string, string>();
  for (const dep of prepareWorld(world, firstUniverse)) {
    if (!dep.conflict) configured.set(dep.name.name, dep.text);
  }
  const versions = new Map<string, Record<string, string | undefined>>();
  const order: string[] = [];
  for (const arch of archs) {
    for (const p of resolutions.get(arch)?.packages ?? []) {
      let v = versions.get(p.name);
      if (!v) {
        v = {};
        versions.set(p.name, v);
        order.push(p.name);
      }
      v[arch] = p.version;
    }
  }
  const index: string[] = [];
  const differences: ArchDifference[] = [];
  for (const name of order) {
    const v = versions.get(name) ?? {};
    const all = archs.map((a) => v[a]);
    const same = all.every((x) => x !== undefined && x === all[0]);
    if (same) {
      index.push(`${name}=${all[0] as string}`);
      continue;
    }
    const full: Record<string, string | undefined> = {};
    for (const a of archs) full[a] = v[a];
    const isConfigured = configured.has(name);
    differences.push({ name, versions: full, configured: isConfigured });
    if (isConfigured) index.push(configured.get(name) as string);
  }
  // Configured constraints that no architecture installed under that name (satisfied by a
  // provider) stay as written, so the index config still asks for them.
  for (const [name, text] of configured) {
    if (!versions.has(name)) index.push(text);
  }
  return { index, differences };
}
