/**
 * The solver's propagation phase: reconsidering a name whose requirements changed. Providers
 * whose dependencies can no longer be met are disqualified, install_if triggers are evaluated,
 * and what every remaining provider agrees on (dependencies, provided names) is applied early.
 */
import type { NameState } from './solver-state.js';
import { depIsProvided, SolverBase } from './solver-base.js';
import type { NameNode, Pkg } from './universe.js';

/** {@link SolverBase} plus reconsideration of dirty names. */
export abstract class SolverPropagation extends SolverBase {
  protected reconsider(name: NameNode): void {
    const s = this.s;
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
          if (!this.dependencySatisfiable(dep)) {
            this.disqualify(pkg, `its dependency ${dep.text} cannot be met`);
            break;
          }
        }
      }
      if (!ps.selectable) continue;
      if (reevaluateIif && !ps.iifTriggered && !ps.iifFailed) this.checkInstallIf(pkg);
      if (reevaluateIif && ps.iifTriggered) {
        for (const dep of pkg.installIf) this.inheritPinning(pkg, s.name(dep.name).chosen.pkg);
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
      if (!ns.hasAutoSelectable && this.isAutoSelectable(p)) ns.hasAutoSelectable = true;
    }
    ns.hasOptions = options > 1 || tagNotOk > 0;
    ns.hasIif = hasIif;
    ns.noIif = noIif;
    this.queueUnresolved(name);

    if (first !== undefined) this.propagateCommon(name, first, options);

    ns.reverseDepsDone = !name.rdepends.some((n0) => {
      const s0 = s.peekName(n0);
      return s0 !== undefined && s0.seen && !s0.locked;
    });
  }

  protected checkInstallIf(pkg: Pkg): void {
    const ps = this.s.pkg(pkg);
    ps.iifTriggered = true;
    ps.iifFailed = false;
    for (const dep of pkg.installIf) {
      const ds = this.s.name(dep.name);
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
  protected propagateCommon(name: NameNode, first: Pkg, options: number): void {
    const s = this.s;
    for (const p of name.providers) {
      const ps = s.pkg(p.pkg);
      ps.dependenciesUsed = ps.dependenciesMerged;
    }
    if (options === 1) {
      for (const dep of first.depends) {
        if (mergeComplete(s.name(dep.name), 'mergeDepends', options))
          this.applyConstraint(first, dep);
      }
    } else {
      for (const dep of first.depends) {
        const ds = s.name(dep.name);
        if (mergeComplete(ds, 'mergeDepends', options) && ds.requirers === 0) {
          ds.requirers++;
          this.nameRequirersChanged(dep.name);
          for (const p of dep.name.providers) this.inheritPinning(p.pkg, first);
        }
      }
    }
    // Provides transitivity: when every option provides some name X, any package providing X
    // without also providing `name` would clash with whichever option is picked.
    const own = s.name(first.name);
    if (mergeComplete(own, 'mergeProvides', options)) {
      this.excludeNonProviders(first.name, name, own.hasVirtualProvides);
    }
    for (const d of first.provides) {
      const ds = s.name(d.name);
      if (mergeComplete(ds, 'mergeProvides', options)) {
        this.excludeNonProviders(d.name, name, ds.hasVirtualProvides);
      }
    }
    own.hasVirtualProvides = false;
    for (const d of first.provides) s.name(d.name).hasVirtualProvides = false;
  }
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
