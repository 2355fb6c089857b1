/**
 * Predicted cache figures of a plan: how many package references the build nodes make, how
 * many distinct packages that is, and the ideal hit rate 1 − unique/references that a cache
 * fetching each package exactly once would reach.
 *
 * A reference is one package of one locked config (module, variant, arch); a latest-dev config
 * counts all of its packages, the ones it shares with latest included, because its build
 * installs them all.
 */

/** One locked config: its node, arch and packages as `name=version`. */
export interface LockedPackages {
  node: string;
  arch: string;
  packages: readonly string[];
}

/** Figures for one arch, or for all archs together. */
export interface HitRateFigures {
  /** Locked configs (= build-arch pairs) counted. */
  configs: number;
  references: number;
  unique: number;
  /** 1 − unique/references; 0 when there are no references. */
  idealHitRate: number;
}

/** Per arch (sorted) and overall; overall counts a package once per arch. */
export interface PlanStats {
  perArch: Record<string, HitRateFigures>;
  overall: HitRateFigures;
}

function figures(configs: number, references: number, unique: number): HitRateFigures {
  return {
    configs,
    references,
    unique,
    idealHitRate: references === 0 ? 0 : 1 - unique / references,
  };
}

/** Computes {@link PlanStats}; duplicate pins inside one config count once. */
export function computePlanStats(locks: readonly LockedPackages[]): PlanStats {
  const perArch = new Map<string, { configs: number; refs: number; unique: Set<string> }>();
  for (const l of locks) {
    let a = perArch.get(l.arch);
    if (!a) perArch.set(l.arch, (a = { configs: 0, refs: 0, unique: new Set() }));
    const pkgs = new Set(l.packages);
    a.configs += 1;
    a.refs += pkgs.size;
    for (const p of pkgs) a.unique.add(p);
  }
  const out: Record<string, HitRateFigures> = {};
  let configs = 0;
  let refs = 0;
  let unique = 0;
  for (const arch of [...perArch.keys()].sort()) {
    const a = perArch.get(arch)!;
    out[arch] = figures(a.configs, a.refs, a.unique.size);
    configs += a.configs;
    refs += a.refs;
    unique += a.unique.size;
  }
  return { perArch: out, overall: figures(configs, refs, unique) };
}

/** `88.6 %`: a rate as a percentage with one decimal. */
export function formatRate(rate: number): string {
  return `${(rate * 100).toFixed(1)} %`;
}
