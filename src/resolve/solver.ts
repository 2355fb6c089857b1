/**
 * The package solver: apk-tools 2.14's algorithm (`solver.c`), re-expressed.
 *
 * apk does not search; it propagates. Every requirement on a name bumps its requirer count;
 * names with requirers are "reconsidered": providers whose dependencies can no longer be met
 * are disqualified, dependencies common to all remaining providers are applied early, and
 * names with exactly one option are marked ready. Then one name is picked (ready names first,
 * else by a fixed order), its best provider is chosen by `compareProviders`, everything else
 * providing the same versioned names is disqualified, and the chosen package's dependencies
 * are applied. This repeats until nothing is left. Failures are not backtracked: a name with
 * no acceptable provider, or a chosen package that breaks a constraint, counts as an error,
 * and the solve fails if any error was counted.
 *
 * Following apk rule by rule (rather than, say, go-apk's greedy depth-first walk) is what makes
 * a lock pick exactly what `apk add` picks, including its choice among several providers and
 * its refusal to pick an unversioned virtual provider on its own.
 */
import { versionInRange } from '../apk/constraint.js';
import { compareVersionsUnchecked } from '../apk/version.js';
import { NONE, SolveState, type Candidate, type NameState } from './solver-state.js';
import type { Dep, NameNode, Pkg, Universe } from './universe.js';

/** What a solve produced: the state, the error count, and the world as solved. */
export interface SolveResult {
  state: SolveState;
  errors: number;
  /** The world after merging duplicate names and sorting, as apk orders it. */
  world: Dep[];
}

export interface SolveInput {
  universe: Universe;
  world: Dep[];
  /** Package name → version that must be kept if the package is installed at all. */
  locked?: ReadonlyMap<string, string>;
}

/** True when `dep` is met by provider `p` (null or `pkg: null` = nothing provides it). */
export function depIsProvided(dep: Dep, p: Candidate | null): boolean {
  if (p === null || p.pkg === null) return dep.conflict;
  if (dep.op === '><') return p.pkg.record.checksum === dep.version;
  if (dep.op === 'any') return !dep.conflict;
  if (p.version === null) return dep.conflict;
  return versionInRange(p.version, dep.op, dep.version) !== dep.conflict;
}

/** Runs the solver over `input.world`. */
export function solve(input: SolveInput): SolveResult {
  return new Solver(input).run();
}

class Solver {
  readonly #u: Universe;
  readonly #world: Dep[];
  readonly #locked: ReadonlyMap<string, string> | undefined;
  readonly #s: SolveState;
  #errors = 0;
  #orderId = 0;
  #pinningInherit = 0;
  readonly #dirty: NameNode[] = [];
  #dirtyHead = 0;
  /** apk's unresolved list; the end of the array is the head of apk's list. */
  readonly #unresolved: NameNode[] = [];
  readonly #defaultRepos: number;

  constructor(input: SolveInput) {
    this.#u = input.universe;
    this.#world = input.world;
    this.#locked = input.locked;
    this.#s = new SolveState(this.#u.nameCount, this.#u.packages.length);
    this.#defaultRepos = this.#u.tagRepos.get('') ?? 0;
  }

  run(): SolveResult {
    const s = this.#s;
    for (const d of this.#world) s.name(d.name).inWorld = true;
    for (const d of this.#world) this.#discover(d.name);
    for (const d of this.#world) {
      this.#pinningInherit = this.#tagMask(d.pin);
      this.#applyConstraint(null, d);
    }
    this.#pinningInherit = 0;

    for (;;) {
      while (this.#dirtyHead < this.#dirty.length) {
        const name = this.#dirty[this.#dirtyHead++] as NameNode;
        const ns = s.name(name);
        if (!ns.inDirty) continue;
        ns.inDirty = false;
        this.#reconsider(name);
      }
      if (this.#dirtyHead > 1024 && this.#dirtyHead * 2 > this.#dirty.length) {
        this.#dirty.splice(0, this.#dirtyHead);
        this.#dirtyHead = 0;
      }
      const next = this.#dequeue();
      if (next === undefined) break;
      this.#select(next);
    }
    return { state: s, errors: this.#errors, world: this.#world };
  }

  /** Bit mask of tags for a world entry: bit 0 is the default tag, then one bit per pin. */
  #tagMask(pin: string | undefined): number {
    if (pin === undefined) return 1;
    const tags = [...this.#u.tagRepos.keys()];
    const i = tags.indexOf(pin);
    return i < 0 ? 0 : 1 << i;
  }

  #reposOfMask(mask: number): number {
    let repos = 0;
    let i = 0;
    for (const r of this.#u.tagRepos.values()) {
      if (mask & (1 << i)) repos |= r;
      i++;
    }
    return repos;
  }

  #markError(pkg: Pkg | null, reason: string): void {
    if (pkg === null) return;
    const ps = this.#s.pkg(pkg);
    if (ps.error) return;
    ps.error = true;
    ps.errorReason = reason;
    this.#errors++;
  }

  #queueDirty(name: NameNode): void {
    const ns = this.#s.name(name);
    if (ns.inDirty || ns.locked || (ns.requirers === 0 && !ns.reevaluateIif)) return;
    ns.inDirty = true;
    this.#dirty.push(name);
  }

  #queueUnresolved(name: NameNode): void {
    const ns = this.#s.name(name);
    if (ns.locked) return;
    const want = ns.requirers > 0 || ns.hasIif;
    if (want && !ns.inUnresolved) {
      ns.inUnresolved = true;
      this.#unresolved.push(name);
    } else if (!want && ns.inUnresolved) {
      this.#removeUnresolved(name, ns);
    }
  }

  #removeUnresolved(name: NameNode, ns: NameState): void {
    ns.inUnresolved = false;
    const i = this.#unresolved.lastIndexOf(name);
    if (i >= 0) this.#unresolved.splice(i, 1);
  }

  #reevaluateReverseDeps(name: NameNode): void {
    const ns = this.#s.name(name);
    if (!ns.seenRdependsSorted) {
      ns.seenRdepends.sort((a, b) => a.rank - b.rank);
      ns.seenRdependsSorted = true;
    }
    for (const n0 of ns.seenRdepends) {
      this.#s.name(n0).reevaluateDeps = true;
      this.#queueDirty(n0);
    }
  }

  /** Records that `name` is now seen in the reverse-dependency lists of what it depends on. */
  #noteSeen(name: NameNode): void {
    for (const p of name.providers) {
      for (const d of p.pkg.depends) {
        const ds = this.#s.name(d.name);
        const list = ds.seenRdepends;
        const last = list[list.length - 1];
        // Only `name` is pushed during this call and it was in no list before (it was not
        // seen), so a duplicate can only be the last entry.
        if (last === name) continue;
        if (last !== undefined && last.rank > name.rank) ds.seenRdependsSorted = false;
        list.push(name);
      }
    }
  }

  #reevaluateReverseInstallIf(name: NameNode): void {
    for (const n0 of name.rinstallIf) {
      const s0 = this.#s.peekName(n0);
      if (!s0?.seen || s0.noIif) continue;
      s0.reevaluateIif = true;
      this.#queueDirty(n0);
    }
  }

  #reevaluateReverseInstallIfPkg(pkg: Pkg): void {
    this.#reevaluateReverseInstallIf(pkg.name);
    for (const p of pkg.provides) this.#reevaluateReverseInstallIf(p.name);
  }

  #disqualify(pkg: Pkg, reason: string): void {
    const ps = this.#s.pkg(pkg);
    ps.selectable = false;
    ps.disqualified ??= reason;
    this.#reevaluateReverseDeps(pkg.name);
    for (const p of pkg.provides) this.#reevaluateReverseDeps(p.name);
    this.#reevaluateReverseInstallIfPkg(pkg);
  }

  #dependencySatisfiable(dep: Dep): boolean {
    const ns = this.#s.name(dep.name);
    if (ns.locked) return depIsProvided(dep, ns.chosen);
    if (ns.requirers === 0 && depIsProvided(dep, NONE)) return true;
    for (const p of dep.name.providers) {
      if (this.#s.pkg(p.pkg).selectable && depIsProvided(dep, p)) return true;
    }
    return false;
  }

  #discover(name: NameNode): void {
    const s = this.#s;
    const ns = s.name(name);
    if (ns.seen) return;
    ns.seen = true;
    ns.noIif = true;
    this.#noteSeen(name);
    for (const p of name.providers) {
      const pkg = p.pkg;
      const ps = s.pkg(pkg);
      if (!ps.seen) {
        ps.seen = true;
        ps.pinningAllowed = 1;
        ps.pinningPreferred = 1;
        ps.selectable = true;
        ps.iifFailed = pkg.installIf.length === 0;
        // apk treats a package with no installed size as virtual: acceptable from any tag.
        ps.tagPreferred =
          (pkg.record.installedSize ?? 0) === 0 || (pkg.repos & this.#defaultRepos) !== 0;
        ps.tagOk = ps.tagPreferred;
        const keep = this.#locked?.get(pkg.name.name);
        if (keep !== undefined && keep !== pkg.version) {
          ps.conflicts++;
          ps.selectable = false;
          ps.disqualified = `the lock keeps ${pkg.name.name} at ${keep}`;
        }
        for (const d of pkg.depends) this.#discover(d.name);
      }
      ns.noIif = ns.noIif && ps.iifFailed;
    }
    for (const p of name.providers) {
      for (const n0 of p.pkg.name.rinstallIf) this.#discover(n0);
      for (const d of p.pkg.provides) {
        if (s.name(d.name).seen) continue;
        this.#discover(d.name);
        for (const n0 of d.name.rinstallIf) this.#discover(n0);
      }
    }
    ns.orderId = ++this.#orderId;
  }

  #nameRequirersChanged(name: NameNode): void {
    this.#queueUnresolved(name);
    this.#reevaluateReverseInstallIf(name);
    this.#queueDirty(name);
  }

  #inheritPinning(pkg: Pkg, parent: Pkg | null): void {
    const ps = this.#s.pkg(pkg);
    if (parent !== null) {
      ps.pinningAllowed |= this.#s.pkg(parent).pinningAllowed;
    } else {
      ps.pinningAllowed |= this.#pinningInherit;
      ps.pinningPreferred = this.#pinningInherit;
      ps.tagPreferred = (pkg.repos & this.#reposOfMask(ps.pinningPreferred)) !== 0;
    }
    if ((pkg.repos & this.#reposOfMask(ps.pinningAllowed)) !== 0) ps.tagOk = true;
  }

  #applyConstraint(from: Pkg | null, dep: Dep): void {
    const ns = this.#s.name(dep.name);
    ns.requirements.push({ from, dep });
    if (!dep.conflict) {
      ns.requirers++;
      if (ns.requirers === 1) this.#nameRequirersChanged(dep.name);
    }
    for (const p0 of dep.name.providers) {
      const ps = this.#s.pkg(p0.pkg);
      const provided = depIsProvided(dep, p0);
      if (!provided) ps.conflicts++;
      if (ps.selectable && ps.conflicts > 0) {
        this.#disqualify(p0.pkg, `${from ? from.name.name : 'world'} requires ${dep.text}`);
      }
      if (provided) this.#inheritPinning(p0.pkg, from);
    }
  }

  #excludeNonProviders(name: NameNode, mustProvide: NameNode, skipVirtuals: boolean): void {
    if (name === mustProvide) return;
    for (const p of name.providers) {
      if (p.pkg.name === mustProvide || !this.#s.pkg(p.pkg).selectable) continue;
      if (skipVirtuals && p.version === null) continue;
      const keeps = p.pkg.provides.some(
        (d) => d.name === mustProvide || (skipVirtuals && d.version === null),
      );
      if (!keeps) this.#disqualify(p.pkg, `it does not provide ${mustProvide.name}`);
    }
  }

  #isAutoSelectable(p: Candidate): boolean {
    if (p.pkg === null) return false;
    if (p.version !== null || p.pkg.providerPriority !== 0) return true;
    return this.#s.name(p.pkg.name).requirers > 0;
  }

  #reconsider(name: NameNode): void {
    const s = this.#s;
    const ns = s.name(name);
    const reevaluateDeps = ns.reevaluateDeps;
    const reevaluateIif = ns.reevaluateIif;
    ns.reevaluateDeps = false;
    ns.reevaluateIif = false;
    ns.hasAutoSelectable = false;
    let first: Pkg | undefined;
    let options = 0;
    let tagNotOk = 0;
    let hasIif = false;
    let noIif = true;

    // Propagate down: drop providers whose dependencies broke, work out install_if triggers,
    // and count dependency names shared by every remaining provider.
    for (const p of name.providers) {
      const pkg = p.pkg;
      const ps = s.pkg(pkg);
      ps.dependenciesMerged = false;
      if (reevaluateDeps) {
        if (!ps.selectable) continue;
        for (const dep of pkg.depends) {
          if (!this.#dependencySatisfiable(dep)) {
            this.#disqualify(pkg, `its dependency ${dep.text} cannot be met`);
            break;
          }
        }
      }
      if (!ps.selectable) continue;
      if (reevaluateIif && !ps.iifTriggered && !ps.iifFailed) this.#checkInstallIf(pkg);
      if (reevaluateIif && ps.iifTriggered) {
        for (const dep of pkg.installIf) this.#inheritPinning(pkg, s.name(dep.name).chosen.pkg);
      }
      hasIif ||= ps.iifTriggered;
      noIif &&= ps.iifFailed;
      if (ps.iifTriggered) ns.hasAutoSelectable = true;
      if (ns.requirers === 0) continue;

      ps.dependenciesMerged = true;
      first ??= pkg;
      for (const dep of pkg.depends)
        if (!dep.conflict) mergeIndex(s.name(dep.name), 'mergeDepends', options);
      const own = s.name(pkg.name);
      if (mergeIndex(own, 'mergeProvides', options)) own.hasVirtualProvides ||= p.version === null;
      for (const d of pkg.provides) {
        const ds = s.name(d.name);
        if (mergeIndex(ds, 'mergeProvides', options)) ds.hasVirtualProvides ||= d.version === null;
      }
      if (!ps.tagOk) tagNotOk++;
      options++;
      if (!ns.hasAutoSelectable && this.#isAutoSelectable(p)) ns.hasAutoSelectable = true;
    }
    ns.hasOptions = options > 1 || tagNotOk > 0;
    ns.hasIif = hasIif;
    ns.noIif = noIif;
    this.#queueUnresolved(name);

    if (first !== undefined) this.#propagateCommon(name, first, options);

    ns.reverseDepsDone = !name.rdepends.some((n0) => {
      const s0 = s.peekName(n0);
      return s0 !== undefined && s0.seen && !s0.locked;
    });
  }

  #checkInstallIf(pkg: Pkg): void {
    const ps = this.#s.pkg(pkg);
    ps.iifTriggered = true;
    ps.iifFailed = false;
    for (const dep of pkg.installIf) {
      const ds = this.#s.name(dep.name);
      if (!ds.locked) {
        ps.iifTriggered = false;
        ps.iifFailed = false;
        return;
      }
      if (!depIsProvided(dep, ds.chosen)) {
        ps.iifTriggered = false;
        ps.iifFailed = true;
        return;
      }
    }
  }

  /** Applies what every remaining provider of `name` agrees on (`first` is one of them). */
  #propagateCommon(name: NameNode, first: Pkg, options: number): void {
    const s = this.#s;
    for (const p of name.providers) {
      const ps = s.pkg(p.pkg);
      ps.dependenciesUsed = ps.dependenciesMerged;
    }
    if (options === 1) {
      for (const dep of first.depends) {
        if (mergeComplete(s.name(dep.name), 'mergeDepends', options))
          this.#applyConstraint(first, dep);
      }
    } else {
      for (const dep of first.depends) {
        const ds = s.name(dep.name);
        if (mergeComplete(ds, 'mergeDepends', options) && ds.requirers === 0) {
          ds.requirers++;
          this.#nameRequirersChanged(dep.name);
          for (const p of dep.name.providers) this.#inheritPinning(p.pkg, first);
        }
      }
    }
    // Provides transitivity: when every option provides some name X, any package providing X
    // without also providing `name` would clash with whichever option is picked.
    const own = s.name(first.name);
    if (mergeComplete(own, 'mergeProvides', options)) {
      this.#excludeNonProviders(first.name, name, own.hasVirtualProvides);
    }
    for (const d of first.provides) {
      const ds = s.name(d.name);
      if (mergeComplete(ds, 'mergeProvides', options)) {
        this.#excludeNonProviders(d.name, name, ds.hasVirtualProvides);
      }
    }
    own.hasVirtualProvides = false;
    for (const d of first.provides) s.name(d.name).hasVirtualProvides = false;
  }

  /** apk's provider order; > 0 when `a` is better. */
  #compareProviders(a: Candidate, b: Candidate): number {
    const pa = a.pkg;
    const pb = b.pkg;
    if (pa === null || pb === null) return (pa !== null ? 1 : 0) - (pb !== null ? 1 : 0);
    const sa = this.#s.pkg(pa);
    const sb = this.#s.pkg(pb);
    let r = Number(sa.selectable) - Number(sb.selectable);
    if (r) return r;
    // Prefer those that were in the last dependency merging group.
    r = Number(sa.dependenciesUsed) - Number(sb.dependenciesUsed);
    if (r) return r;
    r = sb.conflicts - sa.conflicts;
    if (r) return r;
    r = Number(sa.tagOk) - Number(sb.tagOk);
    if (r) return r;
    r = Number(sa.tagPreferred) - Number(sb.tagPreferred);
    if (r) return r;
    // The highest version of the requested name (the provided version for a provide); an
    // unversioned side compares as equal.
    if (a.version !== null && b.version !== null) {
      r = compareVersionsUnchecked(a.version, b.version);
      if (r) return r;
    }
    if (pa.name === pb.name) {
      r = compareVersionsUnchecked(pa.version, pb.version);
      if (r) return r;
    }
    r = pa.providerPriority - pb.providerPriority;
    if (r) return r;
    r = Number(sa.selectable) - Number(sb.selectable);
    if (r) return r;
    // The lowest repository wins the final tie (apk: ffs of the repository mask).
    return lowestBit(pb.repos) - lowestBit(pa.repos);
  }

  #assign(name: NameNode, p: Candidate): void {
    const ns = this.#s.name(name);
    if (ns.locked) {
      // Two packages may share an unversioned (virtual) name; anything else collides.
      if (p.version === null && ns.chosen.version === null) return;
      this.#markError(
        p.pkg,
        `it provides ${name.name}, as ${ns.chosen.pkg?.name.name ?? 'another package'} does`,
      );
      this.#markError(
        ns.chosen.pkg,
        `it provides ${name.name}, as ${p.pkg?.name.name ?? 'another package'} does`,
      );
      return;
    }
    ns.locked = true;
    ns.chosen = p;
    if (ns.inUnresolved) this.#removeUnresolved(name, ns);
    ns.inDirty = false;
    for (const p0 of name.providers) {
      if (p0.pkg === p.pkg) continue;
      if (p.version === null && p0.version === null) continue;
      this.#disqualify(
        p0.pkg,
        `${p.pkg ? p.pkg.name.name : 'nothing'} was chosen for ${name.name}`,
      );
    }
    this.#reevaluateReverseDeps(name);
    if (p.pkg) this.#reevaluateReverseInstallIfPkg(p.pkg);
    else this.#reevaluateReverseInstallIf(name);
  }

  #select(name: NameNode): void {
    const ns = this.#s.name(name);
    let chosen: Candidate = NONE;
    if (ns.requirers > 0 || ns.hasIif) {
      for (const p of name.providers) {
        const ps = this.#s.pkg(p.pkg);
        if (ns.requirers === 0 && (!ps.iifTriggered || !ps.tagOk)) continue;
        if (!this.#isAutoSelectable(p)) continue;
        if (this.#compareProviders(p, chosen) > 0) chosen = p;
      }
    }
    const pkg = chosen.pkg;
    if (pkg === null) {
      this.#assign(name, NONE);
      if (ns.requirers > 0) this.#errors++;
      return;
    }
    const ps = this.#s.pkg(pkg);
    if (!ps.selectable || !ps.tagOk) {
      this.#markError(
        pkg,
        ps.tagOk ? (ps.disqualified ?? 'it was ruled out') : 'its repository is pinned',
      );
    }
    this.#assign(pkg.name, { pkg, version: pkg.version });
    for (const d of pkg.provides) this.#assign(d.name, { pkg, version: d.version });
    for (const d of pkg.depends) this.#applyConstraint(pkg, d);
  }

  #dequeue(): NameNode | undefined {
    let best: NameNode | undefined;
    let bestState: NameState | undefined;
    for (let i = this.#unresolved.length - 1; i >= 0; i--) {
      const n0 = this.#unresolved[i] as NameNode;
      const s0 = this.#s.name(n0);
      if (s0.reverseDepsDone && s0.requirers > 0 && s0.hasAutoSelectable && !s0.hasOptions) {
        return n0;
      }
      if (bestState === undefined || compareDequeue(s0, bestState) < 0) {
        best = n0;
        bestState = s0;
      }
    }
    return best;
  }
}

/** apk's order among names that are not ready: auto-selectable, then world, then newest. */
function compareDequeue(a: NameState, b: NameState): number {
  const r = Number(b.hasAutoSelectable) - Number(a.hasAutoSelectable);
  if (r) return r;
  if (a.inWorld !== b.inWorld) return a.inWorld ? -1 : 1;
  return b.orderId - a.orderId;
}

function mergeIndex(
  ns: NameState,
  key: 'mergeDepends' | 'mergeProvides',
  options: number,
): boolean {
  if (ns[key] !== options) return false;
  ns[key] = options + 1;
  return true;
}

function mergeComplete(
  ns: NameState,
  key: 'mergeDepends' | 'mergeProvides',
  options: number,
): boolean {
  const done = ns[key] === options;
  ns[key] = 0;
  return done;
}

function lowestBit(mask: number): number {
  if (mask === 0) return 0;
  return 32 - Math.clz32(mask & -mask);
}
