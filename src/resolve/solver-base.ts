/**
 * The solver's state and bookkeeping (apk-tools 2.14 `solver.c`): discovering the names a
 * world can reach, applying constraints, disqualifying providers, and the dirty and unresolved
 * queues that drive reconsideration. The phases built on it are in solver-propagate.ts
 * (reconsidering a name) and solver.ts (choosing providers); see solver.ts for the algorithm.
 */
import { versionInRange } from '../apk/constraint.js';
import { NONE, SolveState, type Candidate, type NameState } from './solver-state.js';
import type { Dep, NameNode, Pkg, Universe } from './universe.js';

/** What the solver works on. */
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

/** State shared by every solver phase, and the operations on it that all of them use. */
export abstract class SolverBase {
  protected readonly u: Universe;
  protected readonly world: Dep[];
  protected readonly locked: ReadonlyMap<string, string> | undefined;
  protected readonly s: SolveState;
  protected errors = 0;
  protected orderId = 0;
  protected pinningInherit = 0;
  protected readonly dirty: NameNode[] = [];
  protected dirtyHead = 0;
  /** apk's unresolved list; the end of the array is the head of apk's list. */
  protected readonly unresolved: NameNode[] = [];
  protected readonly defaultRepos: number;

  constructor(input: SolveInput) {
    this.u = input.universe;
    this.world = input.world;
    this.locked = input.locked;
    this.s = new SolveState(this.u.nameCount, this.u.packages.length);
    this.defaultRepos = this.u.tagRepos.get('') ?? 0;
  }

  /** Bit mask of tags for a world entry: bit 0 is the default tag, then one bit per pin. */
  protected tagMask(pin: string | undefined): number {
    if (pin === undefined) return 1;
    const tags = [...this.u.tagRepos.keys()];
    const i = tags.indexOf(pin);
    return i < 0 ? 0 : 1 << i;
  }

  protected reposOfMask(mask: number): number {
    let repos = 0;
    let i = 0;
    for (const r of this.u.tagRepos.values()) {
      if (mask & (1 << i)) repos |= r;
      i++;
    }
    return repos;
  }

  protected markError(pkg: Pkg | null, reason: string): void {
    if (pkg === null) return;
    const ps = this.s.pkg(pkg);
    if (ps.error) return;
    ps.error = true;
    ps.errorReason = reason;
    this.errors++;
  }

  protected queueDirty(name: NameNode): void {
    const ns = this.s.name(name);
    if (ns.inDirty || ns.locked || (ns.requirers === 0 && !ns.reevaluateIif)) return;
    ns.inDirty = true;
    this.dirty.push(name);
  }

  protected queueUnresolved(name: NameNode): void {
    const ns = this.s.name(name);
    if (ns.locked) return;
    const want = ns.requirers > 0 || ns.hasIif;
    if (want && !ns.inUnresolved) {
      ns.inUnresolved = true;
      this.unresolved.push(name);
    } else if (!want && ns.inUnresolved) {
      this.removeUnresolved(name, ns);
    }
  }

  protected removeUnresolved(name: NameNode, ns: NameState): void {
    ns.inUnresolved = false;
    const i = this.unresolved.lastIndexOf(name);
    if (i >= 0) this.unresolved.splice(i, 1);
  }

  protected reevaluateReverseDeps(name: NameNode): void {
    const ns = this.s.name(name);
    if (!ns.seenRdependsSorted) {
      ns.seenRdepends.sort((a, b) => a.rank - b.rank);
      ns.seenRdependsSorted = true;
    }
    for (const n0 of ns.seenRdepends) {
      this.s.name(n0).reevaluateDeps = true;
      this.queueDirty(n0);
    }
  }

  /** Records that `name` is now seen in the reverse-dependency lists of what it depends on. */
  protected noteSeen(name: NameNode): void {
    for (const p of name.providers) {
      for (const d of p.pkg.depends) {
        const ds = this.s.name(d.name);
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

  protected reevaluateReverseInstallIf(name: NameNode): void {
    for (const n0 of name.rinstallIf) {
      const s0 = this.s.peekName(n0);
      if (!s0?.seen || s0.noIif) continue;
      s0.reevaluateIif = true;
      this.queueDirty(n0);
    }
  }

  protected reevaluateReverseInstallIfPkg(pkg: Pkg): void {
    this.reevaluateReverseInstallIf(pkg.name);
    for (const p of pkg.provides) this.reevaluateReverseInstallIf(p.name);
  }

  protected disqualify(pkg: Pkg, reason: string): void {
    const ps = this.s.pkg(pkg);
    ps.selectable = false;
    ps.disqualified ??= reason;
    this.reevaluateReverseDeps(pkg.name);
    for (const p of pkg.provides) this.reevaluateReverseDeps(p.name);
    this.reevaluateReverseInstallIfPkg(pkg);
  }

  protected dependencySatisfiable(dep: Dep): boolean {
    const ns = this.s.name(dep.name);
    if (ns.locked) return depIsProvided(dep, ns.chosen);
    if (ns.requirers === 0 && depIsProvided(dep, NONE)) return true;
    for (const p of dep.name.providers) {
      if (this.s.pkg(p.pkg).selectable && depIsProvided(dep, p)) return true;
    }
    return false;
  }

  protected discover(name: NameNode): void {
    const s = this.s;
    const ns = s.name(name);
    if (ns.seen) return;
    ns.seen = true;
    ns.noIif = true;
    this.noteSeen(name);
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
          (pkg.record.installedSize ?? 0) === 0 || (pkg.repos & this.defaultRepos) !== 0;
        ps.tagOk = ps.tagPreferred;
        const keep = this.locked?.get(pkg.name.name);
        if (keep !== undefined && keep !== pkg.version) {
          ps.conflicts++;
          ps.selectable = false;
          ps.disqualified = `the lock keeps ${pkg.name.name} at ${keep}`;
        }
        for (const d of pkg.depends) this.discover(d.name);
      }
      ns.noIif = ns.noIif && ps.iifFailed;
    }
    for (const p of name.providers) {
      for (const n0 of p.pkg.name.rinstallIf) this.discover(n0);
      for (const d of p.pkg.provides) {
        if (s.name(d.name).seen) continue;
        this.discover(d.name);
        for (const n0 of d.name.rinstallIf) this.discover(n0);
      }
    }
    ns.orderId = ++this.orderId;
  }

  protected nameRequirersChanged(name: NameNode): void {
    this.queueUnresolved(name);
    this.reevaluateReverseInstallIf(name);
    this.queueDirty(name);
  }

  protected inheritPinning(pkg: Pkg, parent: Pkg | null): void {
    const ps = this.s.pkg(pkg);
    if (parent !== null) {
      ps.pinningAllowed |= this.s.pkg(parent).pinningAllowed;
    } else {
      ps.pinningAllowed |= this.pinningInherit;
      ps.pinningPreferred = this.pinningInherit;
      ps.tagPreferred = (pkg.repos & this.reposOfMask(ps.pinningPreferred)) !== 0;
    }
    if ((pkg.repos & this.reposOfMask(ps.pinningAllowed)) !== 0) ps.tagOk = true;
  }

  protected applyConstraint(from: Pkg | null, dep: Dep): void {
    const ns = this.s.name(dep.name);
    ns.requirements.push({ from, dep });
    if (!dep.conflict) {
      ns.requirers++;
      if (ns.requirers === 1) this.nameRequirersChanged(dep.name);
    }
    for (const p0 of dep.name.providers) {
      const ps = this.s.pkg(p0.pkg);
      const provided = depIsProvided(dep, p0);
      if (!provided) ps.conflicts++;
      if (ps.selectable && ps.conflicts > 0) {
        this.disqualify(p0.pkg, `${from ? from.name.name : 'world'} requires ${dep.text}`);
      }
      if (provided) this.inheritPinning(p0.pkg, from);
    }
  }

  protected excludeNonProviders(
    name: NameNode,
    mustProvide: NameNode,
    skipVirtuals: boolean,
  ): void {
    if (name === mustProvide) return;
    for (const p of name.providers) {
      if (p.pkg.name === mustProvide || !this.s.pkg(p.pkg).selectable) continue;
      if (skipVirtuals && p.version === null) continue;
      const keeps = p.pkg.provides.some(
        (d) => d.name === mustProvide || (skipVirtuals && d.version === null),
      );
      if (!keeps) this.disqualify(p.pkg, `it does not provide ${mustProvide.name}`);
    }
  }

  protected isAutoSelectable(p: Candidate): boolean {
    if (p.pkg === null) return false;
    if (p.version !== null || p.pkg.providerPriority !== 0) return true;
    return this.s.name(p.pkg.name).requirers > 0;
  }
}
