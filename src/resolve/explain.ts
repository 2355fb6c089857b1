/**
 * Failure messages: what could not be selected and why, in the spirit of apk's
 * "unable to select packages" report but in apkgraph's words.
 *
 * Two kinds of trouble are reported. A name that something requires but that no package could
 * be chosen for lists who required it and why each candidate was turned down. A package that
 * was chosen but carries an error lists the constraints it breaks and what it satisfies.
 */
import { packageStem } from '../apk/types.js';
import { depIsProvided } from './solver.js';
import type { NameState, Requirement, SolveState } from './solver-state.js';
import type { NameNode, Pkg } from './universe.js';

/** At most this many lines per list, so a broken libc does not print thousands. */
const MAX_ITEMS = 8;

function who(r: Requirement): string {
  return `${r.from ? packageStem(r.from.record) : 'world'}[${r.dep.text}]`;
}

/** Drops repeats (apk applies a package's dependencies once early and once on selection). */
function capped(all: string[]): string[] {
  const items = [...new Set(all)];
  if (items.length <= MAX_ITEMS) return items;
  return [...items.slice(0, MAX_ITEMS), `… and ${items.length - MAX_ITEMS} more`];
}

function explainMissing(ns: NameState, state: SolveState): string[] {
  const name = ns.node;
  const requiredBy = capped(ns.requirements.filter((r) => !r.dep.conflict).map(who));
  if (name.providers.length === 0) {
    return [`${name.name}: no such package`, ...requiredBy.map((r) => `  required by ${r}`)];
  }
  const lines = [`${name.name}: no package could be chosen`];
  lines.push(...requiredBy.map((r) => `  required by ${r}`));
  const candidates = name.providers.map((p) => {
    const ps = state.pkg(p.pkg);
    let why = ps.disqualified;
    if (why === undefined && p.version === null && p.pkg.providerPriority === 0) {
      why =
        `provides ${name.name} without a version or provider priority, ` +
        `so it is never picked on its own; name it explicitly`;
    }
    return `candidate ${packageStem(p.pkg.record)}: ${why ?? 'not chosen'}`;
  });
  lines.push(...capped(candidates).map((c) => `  ${c}`));
  return lines;
}

function providerFor(pkg: Pkg, name: NameNode): { pkg: Pkg; version: string | null } {
  if (pkg.name === name) return { pkg, version: pkg.version };
  const p = pkg.provides.find((d) => d.name === name);
  return { pkg, version: p ? p.version : null };
}

function explainBroken(pkg: Pkg, state: SolveState): string[] {
  const ps = state.pkg(pkg);
  const lines = [`${packageStem(pkg.record)}: ${ps.errorReason ?? 'cannot be installed'}`];
  const breaks: string[] = [];
  const satisfies: string[] = [];
  for (const name of [pkg.name, ...pkg.provides.map((d) => d.name)]) {
    const ns = state.peekName(name);
    if (ns === undefined) continue;
    for (const r of ns.requirements) {
      const ok = depIsProvided(r.dep, providerFor(pkg, name));
      (ok ? satisfies : breaks).push(who(r));
    }
  }
  lines.push(...capped(breaks).map((b) => `  breaks ${b}`));
  lines.push(
    ...capped(satisfies.filter((s) => !s.startsWith('world['))).map((s) => `  satisfies ${s}`),
  );
  return lines;
}

/** The lines of a failure report for a solve that counted errors. */
export function explainFailure(state: SolveState): string[] {
  const lines: string[] = [];
  for (const ns of state.touchedNames) {
    if (ns.locked && ns.chosen.pkg === null && ns.requirers > 0) {
      lines.push(...explainMissing(ns, state));
    }
  }
  for (const [pkg, ps] of state.touchedPackages()) {
    if (ps.error) lines.push(...explainBroken(pkg, state));
  }
  return lines;
}
