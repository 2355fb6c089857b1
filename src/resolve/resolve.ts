/**
 * Resolving a world (an image's `contents.packages`) against a universe: the public entry
 * point of the resolver.
 */
import { ApkgraphError, throwIfAborted } from '../errors.js';
import type { PackageRecord } from '../apk/types.js';
import type { Logger } from '../log/logger.js';
import { explainFailure } from './explain.js';
import { installOrder } from './install-order.js';
import { solve } from './solver.js';
import type { Dep, Universe } from './universe.js';

/** One package of a resolution. */
export interface ResolvedPackage {
  name: string;
  version: string;
  record: PackageRecord;
  /** The URL (or directory) of the first repository holding the package. */
  repository: string;
  /** The repository's pin tag, when it is an `@pin` repository. */
  pin?: string;
}

/** A successful resolution of one world for one architecture. */
export interface Resolution {
  arch: string;
  /** Packages in install order: each comes after its dependencies. */
  packages: ResolvedPackage[];
}

export interface ResolveOptions {
  /**
   * Versions to keep: a package named here may only be installed at this version. Used to
   * extend a locked image (latest-dev = latest's lock + extras) without moving what it has.
   */
  locked?: ReadonlyMap<string, string>;
  logger?: Logger;
  signal?: AbortSignal;
}

/** apk sorts the world by name, case-insensitively first; the order shapes install order. */
function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses, merges (a later entry for a name replaces an earlier one) and sorts the world. */
export function prepareWorld(world: readonly string[], universe: Universe): Dep[] {
  const deps: Dep[] = [];
  const at = new Map<string, number>();
  for (const text of world) {
    const dep = universe.dep(text);
    if (dep.pin !== undefined && !universe.tagRepos.has(dep.pin)) {
      throw new ApkgraphError(
        'ERR_RESOLVE',
        `"${text}" names the repository tag @${dep.pin}, but no repository has that tag`,
        {
          package: text,
          hint: `add "@${dep.pin} <url>" to contents.repositories, or drop the @${dep.pin}`,
        },
      );
    }
    const i = at.get(dep.name.name);
    if (i === undefined) {
      at.set(dep.name.name, deps.length);
      deps.push(dep);
    } else {
      deps[i] = dep;
    }
  }
  return deps.sort((a, b) => compareNames(a.name.name, b.name.name));
}

/**
 * Resolves `world` against `universe` the way `apk add` does (apk-tools 2.14) and returns the
 * packages in install order. Throws ERR_CONSTRAINT for a malformed entry and ERR_RESOLVE when
 * no consistent selection exists, naming each constraint and candidate involved.
 */
export function resolve(
  world: readonly string[],
  universe: Universe,
  options: ResolveOptions = {},
): Resolution {
  throwIfAborted(options.signal);
  const deps = prepareWorld(world, universe);
  const result = solve({
    universe,
    world: deps,
    ...(options.locked ? { locked: options.locked } : {}),
  });
  const order = installOrder(result.state, result.world);
  if (result.errors > 0 || order.errors.length > 0) {
    const lines = explainFailure(result.state);
    throw new ApkgraphError(
      'ERR_RESOLVE',
      `unable to select packages for ${universe.arch}:\n  ${lines.join('\n  ')}`,
      {
        package: world.join(' '),
        hint:
          'check the names and versions in contents.packages ' +
          'and the repositories that provide them',
      },
    );
  }
  options.logger?.debug('resolved', { arch: universe.arch, packages: order.packages.length });
  return {
    arch: universe.arch,
    packages: order.packages.map((p) => ({
      name: p.name.name,
      version: p.version,
      record: p.record,
      repository: p.repository.url,
      ...(p.repository.pin === undefined ? {} : { pin: p.repository.pin }),
    })),
  };
}
