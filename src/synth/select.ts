/**
 * Which index records a synthetic mirror needs for a module set.
 *
 * A full Alpine main index holds thousands of packages, while a module set uses a few hundred.
 * Generating only what the set can install keeps a mirror small enough to build at full scale.
 * The selection over-approximates on purpose, so that any solver's choice is present: every
 * world name and every dependency pulls in EVERY record that is or provides that name, and an
 * install_if package joins once all its conditions are in. It is a closure over names, not a
 * resolution; which of the candidates a solver picks does not matter here.
 */
import type { PackageRecord } from '../apk/types.js';
import type { ModuleSet } from '../moduleset/types.js';

/** The name part of a world entry or dependency (`so:libz.so.1>=1` → `so:libz.so.1`). */
export function dependencyName(dep: string): string {
  const bare = dep.startsWith('!') ? dep.slice(1) : dep;
  const cut = bare.search(/[=<>~]/);
  return cut < 0 ? bare : bare.slice(0, cut);
}

/** Every package name a module set can ask for: worlds, dev packages and set-wide packages. */
export function worldNamesOf(set: ModuleSet): string[] {
  const names = new Set<string>();
  const add = (list: readonly string[]): void => {
    for (const p of list) names.add(dependencyName(p));
  };
  add(set.settings.packages);
  add(set.settings.devPackages);
  for (const m of set.modules) {
    add(m.apko.packages);
    add(m.settings.extraDevPackages);
  }
  return [...names].sort();
}

/**
 * The records reachable from `worldNames`: the names themselves, every provider of every
 * dependency (conflicts `!x` excluded), and install_if packages whose conditions all hold.
 * Returns the records in their input order.
 */
export function selectNeeded(
  records: readonly PackageRecord[],
  worldNames: string[],
): PackageRecord[] {
  const byName = new Map<string, number[]>();
  const offer = (name: string, i: number): void => {
    const list = byName.get(name);
    if (list) list.push(i);
    else byName.set(name, [i]);
  };
  records.forEach((r, i) => {
    offer(r.name, i);
    for (const p of r.provides) offer(dependencyName(p), i);
  });

  const chosen = new Set<number>();
  const present = new Set<string>();
  const queue: string[] = [...worldNames];
  const take = (i: number): void => {
    if (chosen.has(i)) return;
    chosen.add(i);
    const r = records[i]!;
    for (const d of r.depends) if (!d.startsWith('!')) queue.push(dependencyName(d));
    queue.push(r.name);
    for (const p of r.provides) queue.push(dependencyName(p));
  };
  const visit = (): void => {
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (present.has(name)) continue;
      present.add(name);
      for (const i of byName.get(name) ?? []) take(i);
    }
  };
  visit();
  // install_if: a package joins when every condition names something already present.
  for (let grew = true; grew;) {
    grew = false;
    records.forEach((r, i) => {
      if (chosen.has(i) || r.installIf.length === 0) return;
      if (r.installIf.every((c) => c.startsWith('!') || present.has(dependencyName(c)))) {
        take(i);
        grew = true;
      }
    });
    visit();
  }
  return records.filter((_, i) => chosen.has(i));
}

/** The names no record is or provides: the set asks for them, but the index cannot install them. */
export function unknownNames(
  records: readonly PackageRecord[],
  names: readonly string[],
): string[] {
  const known = new Set<string>();
  for (const r of records) {
    known.add(r.name);
    for (const p of r.provides) known.add(dependencyName(p));
  }
  return names.filter((n) => !known.has(n));
}
