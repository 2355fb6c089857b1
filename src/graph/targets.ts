/**
 * `--target` selection: `web` (both variants), `web:latest`, `web:latest-dev`.
 */
import { ApkgraphError } from '../errors.js';
import { nodeId, VARIANTS, type BuildGraph, type Variant } from './build-graph.js';

/**
 * The subgraph that builds `targets` and everything they need. No targets = the whole graph.
 * Each target may be a comma-separated list. An unknown module or variant is ERR_USAGE: the
 * command line is wrong, not the set.
 */
export function selectTargets(graph: BuildGraph, given: readonly string[]): BuildGraph {
  const targets = given.flatMap((t) => t.split(',')).map((t) => t.trim());
  if (targets.length === 0) return graph;
  const modules = new Set(graph.nodes().map((n) => n.module));
  const roots: string[] = [];
  for (const t of targets) {
    const [module = '', variant, ...rest] = t.split(':');
    if (rest.length > 0 || module === '') {
      throw new ApkgraphError('ERR_USAGE', `--target "${t}" is not MODULE or MODULE:VARIANT`, {
        hint: 'write e.g. --target web or --target web:latest-dev',
      });
    }
    if (!modules.has(module)) {
      throw new ApkgraphError(
        'ERR_USAGE',
        `--target names "${module}", which is not a module of this set`,
        {
          hint: `known modules: ${[...modules].sort().join(', ')}`,
        },
      );
    }
    if (variant !== undefined && !VARIANTS.includes(variant as Variant)) {
      throw new ApkgraphError('ERR_USAGE', `--target "${t}": unknown variant "${variant}"`, {
        hint: `variants are ${VARIANTS.join(' and ')}`,
      });
    }
    const wanted = variant === undefined ? VARIANTS : [variant as Variant];
    let found = false;
    for (const v of wanted) {
      const id = nodeId('build', module, v);
      if (graph.hasNode(id)) {
        roots.push(id);
        found = true;
      }
    }
    if (!found) {
      throw new ApkgraphError(
        'ERR_USAGE',
        `--target "${t}": module ${module} has no ${variant} variant`,
        {
          hint: 'set "dev: true" in its module.yaml, or target the latest variant',
        },
      );
    }
  }
  return graph.closure(roots);
}
