/**
 * Install order: the order apk-tools' changeset lists packages in, dependencies first.
 *
 * Starting from each world entry (sorted by name, as apk sorts the world), a package is placed
 * after all of its dependencies, depth first in `D:` order; right after a package, any
 * install_if package whose triggers are now all placed follows it. This walk is also where apk
 * notices a dependency that the chosen provider does not satisfy, so it returns the errors it
 * counted as well.
 */
import { depIsProvided } from './solver.js';
import type { SolveState } from './solver-state.js';
import type { Dep, NameNode, Pkg } from './universe.js';

export interface InstallOrder {
  packages: Pkg[];
  /** Packages whose dependency the chosen provider did not satisfy (or that depend on one). */
  errors: Array<{ pkg: Pkg; reason: string }>;
}

/** Walks the solved state into install order. */
export function installOrder(state: SolveState, world: readonly Dep[]): InstallOrder {
  const out: Pkg[] = [];
  const errors: InstallOrder['errors'] = [];
  const flagged = new Set<Pkg>();

  const markError = (pkg: Pkg | null, reason: string): void => {
    if (pkg === null || flagged.has(pkg)) return;
    flagged.add(pkg);
    const ps = state.pkg(pkg);
    if (ps.error) return;
    ps.error = true;
    ps.errorReason = reason;
    errors.push({ pkg, reason });
  };

  const genDep = (from: Pkg | null, dep: Dep): void => {
    const ns = state.name(dep.name);
    const chosen = ns.chosen.pkg;
    if (!depIsProvided(dep, ns.chosen)) {
      markError(from, `its dependency ${dep.text} is not met by what was chosen`);
    }
    genName(dep.name);
    if (chosen !== null && state.pkg(chosen).error) {
      markError(from, `its dependency ${chosen.name.name} has errors`);
    }
  };

  const genName = (name: NameNode): void => {
    const ns = state.name(name);
    if (ns.inChangeset) return;
    ns.inChangeset = true;
    const pkg = ns.chosen.pkg;
    if (pkg === null) return;
    const ps = state.pkg(pkg);
    if (ps.inChangeset) return;
    ps.inChangeset = true;
    state.name(pkg.name).inChangeset = true;
    for (const d of pkg.provides) state.name(d.name).inChangeset = true;
    for (const d of pkg.depends) genDep(pkg, d);
    out.push(pkg);
    const triggered = (n: NameNode): void => checkInstallIf(n);
    for (const n of pkg.name.rinstallIf) triggered(n);
    for (const d of pkg.provides) for (const n of d.name.rinstallIf) triggered(n);
  };

  const checkInstallIf = (name: NameNode): void => {
    const ns = state.peekName(name);
    if (ns === undefined || !ns.seen || ns.inChangeset) return;
    const pkg = ns.chosen.pkg;
    if (pkg === null) return;
    for (const dep of pkg.installIf) {
      const ds = state.name(dep.name);
      if (!ds.inChangeset || !depIsProvided(dep, ds.chosen)) return;
    }
    genName(name);
  };

  for (const d of world) genDep(null, d);
  return { packages: out, errors };
}
