/**
 * The package universe of one architecture: every package of an ordered list of repositories,
 * indexed by name, with the reverse edges the solver walks.
 *
 * A universe is built once per set of indexes and is read-only afterwards, so any number of
 * solves (every module, latest and dev) share it; per-solve state lives in the solver. Names
 * are interned: a package's own name, each `p:` name, and every name a `D:` or `i:` line
 * mentions all map to one {@link NameNode}, the way apk-tools keeps `struct apk_name`.
 */
import { ApkgraphError } from '../errors.js';
import { parseConstraint, type ConstraintOp } from '../apk/constraint.js';
import type { PackageRecord } from '../apk/types.js';
import type { Logger } from '../log/logger.js';

/** One repository in resolution order, as `@pin URL` or `URL` in a config. */
export interface Repository {
  /** The repository URL or directory, as configured (without the architecture). */
  url: string;
  /** The tag of an `@pin URL` repository; its packages need `name@pin` to be picked. */
  pin?: string;
  packages: readonly PackageRecord[];
}

/** A name anything can require: a package name, a provided name, or a virtual. */
export interface NameNode {
  readonly id: number;
  readonly name: string;
  /** Packages that are or provide this name, in repository then index order. */
  readonly providers: Provider[];
  /** Names whose providers depend on this name (apk's `rdepends`). */
  readonly rdepends: NameNode[];
  /** Names whose providers have an install_if on this name. */
  readonly rinstallIf: NameNode[];
}

/** A package as a provider of one name; `version` is null for an unversioned provide. */
export interface Provider {
  readonly pkg: Pkg;
  readonly version: string | null;
}

/** A parsed `D:`/`i:`/world entry bound to its name node. */
export interface Dep {
  readonly name: NameNode;
  readonly op: ConstraintOp;
  readonly version: string;
  readonly conflict: boolean;
  /** The repository tag (`name@tag`); only world entries carry one. */
  readonly pin?: string;
  /** The entry as written, for messages. */
  readonly text: string;
}

/** One package of the universe. Identical packages in several repositories are merged. */
export interface Pkg {
  readonly id: number;
  readonly record: PackageRecord;
  readonly name: NameNode;
  readonly version: string;
  readonly depends: readonly Dep[];
  readonly provides: ReadonlyArray<{ name: NameNode; version: string | null }>;
  readonly installIf: readonly Dep[];
  readonly providerPriority: number;
  /** Bit i set when repository i holds this package (bit 0 is the first repository). */
  repos: number;
  /** The first repository holding it. */
  readonly repository: Repository;
}

/** An indexed, immutable set of repositories for one architecture. */
export interface Universe {
  readonly arch: string;
  readonly repositories: readonly Repository[];
  readonly packages: readonly Pkg[];
  /** Bit mask of repositories per tag; tag 0 is the untagged (default) set. */
  readonly tagRepos: ReadonlyMap<string, number>;
  /** The name node of `name`, if anything mentions it. */
  lookup(name: string): NameNode | undefined;
  /** The name node of `name`, created empty when nothing mentions it (world entries). */
  intern(name: string): NameNode;
  /** Parses a constraint against this universe's names. */
  dep(text: string): Dep;
  /** Names interned so far (grows when `intern` creates one). */
  readonly nameCount: number;
}

/** The largest number of repositories a universe can hold (one bit each in a 31-bit mask). */
export const MAX_REPOSITORIES = 30;

export interface BuildUniverseOptions {
  arch: string;
  logger?: Logger;
}

/** Builds the universe of `repositories` (first = preferred on a tie). */
export function buildUniverse(
  repositories: readonly Repository[],
  options: BuildUniverseOptions,
): Universe {
  if (repositories.length > MAX_REPOSITORIES) {
    throw new ApkgraphError(
      'ERR_RESOLVE',
      `too many repositories for ${options.arch}: ${repositories.length}`,
      { hint: `use at most ${MAX_REPOSITORIES} repositories per image` },
    );
  }
  const names = new Map<string, NameNode>();
  const intern = (name: string): NameNode => {
    let node = names.get(name);
    if (node === undefined) {
      node = { id: names.size, name, providers: [], rdepends: [], rinstallIf: [] };
      names.set(name, node);
    }
    return node;
  };
  const depCache = new Map<string, Dep | null>();
  const toDep = (text: string): Dep | null => {
    let dep = depCache.get(text);
    if (dep === undefined) {
      try {
        const c = parseConstraint(text);
        dep = {
          name: intern(c.name),
          op: c.op,
          version: c.version ?? '',
          conflict: c.conflict,
          text,
          ...(c.pin === undefined ? {} : { pin: c.pin }),
        };
      } catch {
        // apk-tools stops reading a dependency list at a malformed entry; dropping the one
        // entry keeps the rest of the package usable and is logged.
        options.logger?.debug('ignoring a malformed dependency in an index', { entry: text });
        dep = null;
      }
      depCache.set(text, dep);
    }
    return dep;
  };

  const packages: Pkg[] = [];
  const byIdentity = new Map<string, Pkg>();
  const tagRepos = new Map<string, number>([['', 0]]);
  repositories.forEach((repo, index) => {
    const bit = 1 << index;
    const tag = repo.pin ?? '';
    tagRepos.set(tag, (tagRepos.get(tag) ?? 0) | bit);
    for (const record of repo.packages) {
      // apk-tools merges packages by their control checksum; records without one (hand-made
      // indexes) fall back to name and version.
      const identity = record.checksum ?? `${record.name}-${record.version}`;
      const known = byIdentity.get(identity);
      if (known) {
        known.repos |= bit;
        continue;
      }
      const name = intern(record.name);
      const provides = record.provides.map((p) => {
        const eq = p.indexOf('=');
        return eq < 0
          ? { name: intern(p), version: null }
          : { name: intern(p.slice(0, eq)), version: p.slice(eq + 1) };
      });
      const pkg: Pkg = {
        id: packages.length,
        record,
        name,
        version: record.version,
        depends: record.depends.map(toDep).filter((d): d is Dep => d !== null),
        provides,
        installIf: record.installIf.map(toDep).filter((d): d is Dep => d !== null),
        providerPriority: record.providerPriority ?? 0,
        repos: bit,
        repository: repo,
      };
      packages.push(pkg);
      byIdentity.set(identity, pkg);
      name.providers.push({ pkg, version: record.version });
      for (const p of provides) p.name.providers.push({ pkg, version: p.version });
    }
  });
  linkReverseEdges(names);

  return {
    arch: options.arch,
    repositories,
    packages,
    tagRepos,
    lookup: (name) => names.get(name),
    intern,
    dep: (text) => {
      const c = parseConstraint(text);
      return {
        name: intern(c.name),
        op: c.op,
        version: c.version ?? '',
        conflict: c.conflict,
        text,
        ...(c.pin === undefined ? {} : { pin: c.pin }),
      };
    },
    get nameCount() {
      return names.size;
    },
  };
}

/**
 * Fills `rdepends` and `rinstallIf`: for each name N, every name that a provider of N depends
 * on (or has an install_if on) lists N once. The solver re-examines these when a name changes.
 */
function linkReverseEdges(names: Map<string, NameNode>): void {
  const lastDep = new Map<NameNode, NameNode>();
  const lastIif = new Map<NameNode, NameNode>();
  for (const node of names.values()) {
    for (const p of node.providers) {
      for (const d of p.pkg.depends) {
        if (lastDep.get(d.name) === node) continue;
        lastDep.set(d.name, node);
        d.name.rdepends.push(node);
      }
      for (const d of p.pkg.installIf) {
        if (lastIif.get(d.name) === node) continue;
        lastIif.set(d.name, node);
        d.name.rinstallIf.push(node);
      }
    }
  }
}
