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
import { compareVersionsUnchecked } from '../apk/version.js';
import { NONE, type Candidate, type NameState, type SolveState } from './solver-state.js';
import type { SolveInput } from './solver-base.js';
import { SolverPropagation } from './solver-propagate.js';
import type { Dep, NameNode } from './universe.js';

export { depIsProvided, type SolveInput } from './solver-base.js';

/** What a solve produced: the state, the error count, and the world as solved. */
export interface SolveResult {
  state: SolveState;
  errors: number;
  /** The world after merging duplicate names and sorting, as apk orders it. */
  world: Dep[];
}

/** Runs the solver over `input.world`. */
export function solve(input: SolveInput): SolveResult {
  return new Solver(input).run();
}

/** The selection phase: pick a name, choose its best provider, apply that provider's needs. */
class Solver extends SolverPropagation {
  run(): SolveResult {
    const s = this.s;
    for (const d of this.world) s.name(d.name).inWorld = true;
    for (const d of this.world) this.discover(d.name);
    for (const d of this.world) {
      this.pinningInherit = this.tagMask(d.pin);
      this.applyConstraint(null, d);
    }
    this.pinningInherit = 0;

    for (;;) {
      while (this.dirtyHead < this.dirty.length) {
        const name = this.dirty[this.dirtyHead++] as NameNode;
        const ns = s.name(name);
        if (!ns.inDirty) continue;
        ns.inDirty = false;
        this.reconsider(name);
      }
      if (this.dirtyHead > 1024 && this.dirtyHead * 2 > this.dirty.length) {
        this.dirty.splice(0, this.dirtyHead);
        this.dirtyHead = 0;
      }
      const next = this.#dequeue();
      if (next === undefined) break;
      this.#select(next);
    }
    return { state: s, errors: this.errors, world: this.world };
  }

  /** apk's provider order; > 0 when `a` is better. */
  #compareProviders(a: Candidate, b: Candidate): number {
    const pa = a.pkg;
    const pb = b.pkg;
    if (pa === null || pb === null) return (pa !== null ? 1 : 0) - (pb !== null ? 1 : 0);
    const sa = this.s.pkg(pa);
    const sb = this.s.pkg(pb);
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
    const ns = this.s.name(name);
    if (ns.locked) {
      // Two packages may share an unversioned (virtual) name; anything else collides.
      if (p.version === null && ns.chosen.version === null) return;
      this.markError(
        p.pkg,
        `it provides ${name.name}, as ${ns.chosen.pkg?.name.name ?? 'another package'} does`,
      );
      this.markError(
        ns.chosen.pkg,
        `it provides ${name.name}, as ${p.pkg?.name.name ?? 'another package'} does`,
      );
      return;
    }
    ns.locked = true;
    ns.chosen = p;
    if (ns.inUnresolved) this.removeUnresolved(name, ns);
    ns.inDirty = false;
    for (const p0 of name.providers) {
      if (p0.pkg === p.pkg) continue;
      if (p.version === null && p0.version === null) continue;
      this.disqualify(p0.pkg, `${p.pkg ? p.pkg.name.name : 'nothing'} was chosen for ${name.name}`);
    }
    this.reevaluateReverseDeps(name);
    if (p.pkg) this.reevaluateReverseInstallIfPkg(p.pkg);
    else this.reevaluateReverseInstallIf(name);
  }

  #select(name: NameNode): void {
    const ns = this.s.name(name);
    let chosen: Candidate = NONE;
    if (ns.requirers > 0 || ns.hasIif) {
      for (const p of name.providers) {
        const ps = this.s.pkg(p.pkg);
        if (ns.requirers === 0 && (!ps.iifTriggered || !ps.tagOk)) continue;
        if (!this.isAutoSelectable(p)) continue;
        if (this.#compareProviders(p, chosen) > 0) chosen = p;
      }
    }
    const pkg = chosen.pkg;
    if (pkg === null) {
      this.#assign(name, NONE);
      if (ns.requirers > 0) this.errors++;
      return;
    }
    const ps = this.s.pkg(pkg);
    if (!ps.selectable || !ps.tagOk) {
      this.markError(
        pkg,
        ps.tagOk ? (ps.disqualified ?? 'it was ruled out') : 'its repository is pinned',
      );
    }
    this.#assign(pkg.name, { pkg, version: pkg.version });
    for (const d of pkg.provides) this.#assign(d.name, { pkg, version: d.version });
    for (const d of pkg.depends) this.applyConstraint(pkg, d);
  }

  #dequeue(): NameNode | undefined {
    let best: NameNode | undefined;
    let bestState: NameState | undefined;
    for (let i = this.unresolved.length - 1; i >= 0; i--) {
      const n0 = this.unresolved[i] as NameNode;
      const s0 = this.s.name(n0);
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

function lowestBit(mask: number): number {
  if (mask === 0) return 0;
  return 32 - Math.clz32(mask & -mask);
}
