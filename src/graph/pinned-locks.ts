/**
 * Plan figures without indexes, for sets whose configs pin complete closures.
 *
 * When every world entry of every config is `name=version` (a set converted from apko lock
 * files), resolution cannot change the package list: each pin selects exactly one package and
 * the pins already hold every dependency. The locks are then the pins themselves, and `plan`
 * can predict the cache figures on a machine that has none of the indexes. Whether the pins
 * really are closed is only checked by resolving (`plan --resolve`).
 */
import type { ModuleSet } from '../moduleset/types.js';
import { effectiveConfig, parsePin, type ConfigOverrides } from '../moduleset/effective.js';
import type { BuildGraph } from './build-graph.js';
import type { LockedPackages } from './plan-stats.js';

/** The first entry that is not a pin, and where; undefined when everything is pinned. */
export interface Unpinned {
  module: string;
  entry: string;
}

/**
 * The locks of every config node of `graph` (per arch), read from pins; or the first world
 * entry that is not a `name=version` pin.
 */
export function pinnedLocks(
  set: ModuleSet,
  graph: BuildGraph,
  overrides: ConfigOverrides = {},
): { locks: LockedPackages[] } | { unpinned: Unpinned } {
  const byName = new Map(set.modules.map((m) => [m.name, m]));
  const locks: LockedPackages[] = [];
  for (const node of graph.nodes()) {
    // A config in the graph only because another module depends_on it installs nothing.
    if (node.kind !== 'config' || !graph.hasNode(node.id.replace(/^config:/, 'build:'))) continue;
    const module = byName.get(node.module);
    if (!module) continue;
    const latest = effectiveConfig(set, module, 'latest', overrides);
    const world =
      node.variant === 'latest'
        ? latest.world
        : [...latest.world, ...effectiveConfig(set, module, 'latest-dev', overrides).world];
    const pins: string[] = [];
    for (const entry of world) {
      const pin = parsePin(entry);
      if (!pin) return { unpinned: { module: module.name, entry } };
      pins.push(`${pin[0]}=${pin[1]}`);
    }
    for (const arch of latest.archs) locks.push({ node: node.id, arch, packages: pins });
  }
  return { locks };
}
