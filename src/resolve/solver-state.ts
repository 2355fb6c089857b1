/**
 * Per-solve state of the resolver, kept apart from the shared {@link Universe}.
 *
 * The field names follow apk-tools' `struct apk_solver_name_state` and
 * `struct apk_solver_package_state`, so the algorithm in solver.ts can be checked against
 * apk's behaviour rule by rule. State objects are created on first touch; a solve touches a
 * few hundred of the universe's thousands of names.
 */
import type { Dep, NameNode, Pkg, Provider } from './universe.js';

/** Where a constraint on a name came from: the world (`from` null) or a package's `D:`. */
export interface Requirement {
  from: Pkg | null;
  dep: Dep;
}

export interface NameState {
  readonly node: NameNode;
  requirers: number;
  locked: boolean;
  /** The provider assigned to this name; `pkg` null means "assigned to nothing". */
  chosen: Candidate;
  seen: boolean;
  reevaluateDeps: boolean;
  reevaluateIif: boolean;
  hasOptions: boolean;
  hasIif: boolean;
  noIif: boolean;
  hasAutoSelectable: boolean;
  reverseDepsDone: boolean;
  mergeDepends: number;
  mergeProvides: number;
  hasVirtualProvides: boolean;
  orderId: number;
  /** Named in the world; such names are dequeued first among equals. */
  inWorld: boolean;
  inDirty: boolean;
  inUnresolved: boolean;
  inChangeset: boolean;
  /** Every constraint applied to this name, for failure messages. */
  requirements: Requirement[];
  /**
   * The seen names among the universe's `rdepends` of this name, kept in the same order (by
   * name rank). Re-examining reverse dependencies only needs these, and libc's full list holds
   * thousands of names a solve never touches.
   */
  seenRdepends: NameNode[];
  seenRdependsSorted: boolean;
}

export interface PkgState {
  seen: boolean;
  selectable: boolean;
  iifTriggered: boolean;
  iifFailed: boolean;
  tagOk: boolean;
  tagPreferred: boolean;
  pinningAllowed: number;
  pinningPreferred: number;
  conflicts: number;
  dependenciesMerged: boolean;
  dependenciesUsed: boolean;
  error: boolean;
  inChangeset: boolean;
  /** Why the package was ruled out first, for failure messages. */
  disqualified?: string;
  /** Why it was marked as an error, for failure messages. */
  errorReason?: string;
}

/**
 * Lazily created state tables for one solve. Lookups go through typed index arrays (one slot
 * per name and package of the universe) into dense lists: the hottest loop of a solve scans
 * the reverse dependencies of names such as `so:libc.musl-x86_64.so.1`, thousands long.
 */
export class SolveState {
  #nameIndex: Int32Array;
  #pkgIndex: Int32Array;
  readonly #names: NameState[] = [];
  readonly #pkgs: PkgState[] = [];
  readonly #pkgOf: Pkg[] = [];

  constructor(nameCount: number, pkgCount: number) {
    this.#nameIndex = new Int32Array(nameCount);
    this.#pkgIndex = new Int32Array(pkgCount);
  }

  /** Every name state created, in creation order. */
  get touchedNames(): readonly NameState[] {
    return this.#names;
  }

  name(node: NameNode): NameState {
    const at = node.id < this.#nameIndex.length ? (this.#nameIndex[node.id] as number) : 0;
    if (at > 0) return this.#names[at - 1] as NameState;
    {
      const s: NameState = {
        node,
        requirers: 0,
        locked: false,
        chosen: NONE,
        seen: false,
        reevaluateDeps: false,
        reevaluateIif: false,
        hasOptions: false,
        hasIif: false,
        noIif: false,
        hasAutoSelectable: false,
        reverseDepsDone: false,
        mergeDepends: 0,
        mergeProvides: 0,
        hasVirtualProvides: false,
        orderId: 0,
        inWorld: false,
        inDirty: false,
        inUnresolved: false,
        inChangeset: false,
        requirements: [],
        seenRdepends: [],
        seenRdependsSorted: true,
      };
      if (node.id >= this.#nameIndex.length) this.#nameIndex = grow(this.#nameIndex, node.id);
      this.#names.push(s);
      this.#nameIndex[node.id] = this.#names.length;
      return s;
    }
  }

  /** The name's state if the solve has touched it. */
  peekName(node: NameNode): NameState | undefined {
    const at = this.#nameIndex[node.id];
    return at ? this.#names[at - 1] : undefined;
  }

  pkg(p: Pkg): PkgState {
    const at = p.id < this.#pkgIndex.length ? (this.#pkgIndex[p.id] as number) : 0;
    if (at > 0) return this.#pkgs[at - 1] as PkgState;
    {
      const s: PkgState = {
        seen: false,
        selectable: false,
        iifTriggered: false,
        iifFailed: false,
        tagOk: false,
        tagPreferred: false,
        pinningAllowed: 0,
        pinningPreferred: 0,
        conflicts: 0,
        dependenciesMerged: false,
        dependenciesUsed: false,
        error: false,
        inChangeset: false,
      };
      if (p.id >= this.#pkgIndex.length) this.#pkgIndex = grow(this.#pkgIndex, p.id);
      this.#pkgs.push(s);
      this.#pkgOf.push(p);
      this.#pkgIndex[p.id] = this.#pkgs.length;
      return s;
    }
  }

  /** Every package state created, with its package, in creation order. */
  *touchedPackages(): Generator<[Pkg, PkgState]> {
    for (let i = 0; i < this.#pkgs.length; i++) {
      yield [this.#pkgOf[i] as Pkg, this.#pkgs[i] as PkgState];
    }
  }
}

function grow(index: Int32Array, id: number): Int32Array {
  const bigger = new Int32Array(Math.max(id + 1, index.length * 2));
  bigger.set(index);
  return bigger;
}

/** A provider as the solver passes it around (`pkg` null for "none"). */
export type Candidate = Provider | { readonly pkg: null; readonly version: null };

/** The "nothing" provider apk assigns to a name that cannot be satisfied. */
export const NONE: Candidate = { pkg: null, version: null };
