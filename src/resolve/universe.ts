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
  /**
   * Position in apk-tools' name hash table walk (bucket, then newest first). apk builds its
   * reverse-dependency lists in that walk, and their order decides which names the solver
   * re-examines first, so it is reproduced exactly.
   */
  rank: number;
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
      node = { id: names.size, name, rank: 0, providers: [], rdepends: [], rinstallIf: [] };
      names.set(name, node);
    }
    return node;
  };
  /** Parses one dependency; throws on a malformed one. */
  const parseDep = (text: string): Dep => {
    const c = parseConstraint(text);
    return {
      name: intern(c.name),
      op: c.op,
      version: c.version ?? '',
      conflict: c.conflict,
      text,
      ...(c.pin === undefined ? {} : { pin: c.pin }),
    };
  };
  const depCache = new Map<string, Dep | null>();
  const toDep = (text: string): Dep | null => {
    let dep = depCache.get(text);
    if (dep === undefined) {
      try {
        dep = parseDep(text);
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
      // Names are created in apk's parse order (P, D, p, i), which fixes their hash order.
      const name = intern(record.name);
      const depends = record.depends.map(toDep).filter((d): d is Dep => d !== null);
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
        depends,
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
  rankLikeApk(names);
  linkReverseEdges(names);

  return {
    arch: options.arch,
    repositories,
    packages,
    tagRepos,
    lookup: (name) => names.get(name),
    intern,
    dep: parseDep,
    get nameCount() {
      return names.size;
    },
  };
}

/** apk-tools 2.14 keeps names in a hash table of this many buckets. */
const APK_NAME_BUCKETS = 20000;

/** MurmurHash3 (x86, 32-bit), which apk-tools 2.14 uses for names, seeded with 5381. */
export function murmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length >> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i * 4;
    let k =
      ((bytes[o] as number) |
        ((bytes[o + 1] as number) << 8) |
        ((bytes[o + 2] as number) << 16) |
        ((bytes[o + 3] as number) << 24)) >>>
      0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= (bytes[tail + 2] as number) << 16;
    if (rest >= 2) k ^= (bytes[tail + 1] as number) << 8;
    k ^= bytes[tail] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Sets each name's rank: apk walks buckets in order, each from its newest name. */
function rankLikeApk(names: Map<string, NameNode>): void {
  const encoder = new TextEncoder();
  const keyed = [...names.values()].map((n) => ({
    n,
    bucket: murmur3(encoder.encode(n.name), 5381) % APK_NAME_BUCKETS,
  }));
  keyed.sort((a, b) => a.bucket - b.bucket || b.n.id - a.n.id);
  keyed.forEach((k, i) => {
    k.n.rank = i;
  });
}

/**
 * Fills `rdepends` and `rinstallIf`: for each name N, every name that a provider of N depends
 * on (or has an install_if on) lists N once. The solver re-examines these when a name changes.
 */
function linkReverseEdges(names: Map<string, NameNode>): void {
  // The last name recorded in each list, as id + 1, so a list gets each name once.
  const lastDep = new Int32Array(names.size);
  const lastIif = new Int32Array(names.size);
  const byRank = [...names.values()].sort((a, b) => a.rank - b.rank);
  for (const node of byRank) {
    const mark = node.id + 1;
    for (const p of node.providers) {
      for (const d of p.pkg.depends) {
        if (lastDep[d.name.id] === mark) continue;
        lastDep[d.name.id] = mark;
        d.name.rdepends.push(node);
      }
      for (const d of p.pkg.installIf) {
        if (lastIif[d.name.id] === mark) continue;
        lastIif[d.name.id] = mark;
        d.name.rinstallIf.push(node);
      }
    }
  }
}
