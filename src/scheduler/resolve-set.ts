/**
 * Resolves every config node of a graph (no downloads, no builds): what `plan` counts its
 * figures from when the configs are not all pinned.
 */
import { ApkgraphError } from '../errors.js';
import type { BuildGraph } from '../graph/build-graph.js';
import type { LockedPackages } from '../graph/plan-stats.js';
import type { ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';
import { createNodeRunners } from './nodes.js';
import { locksOf } from './run-set.js';
import { runGraph } from './scheduler.js';
import type { RunServices } from './services.js';

/** Options of {@link resolveSetLocks}. */
export interface ResolveSetOptions<U> {
  services: RunServices<U>;
  overrides?: ConfigOverrides;
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * The lock of every config node of `graph` whose image `graph` builds; the first failure is
 * thrown.
 */
export async function resolveSetLocks<U>(
  set: ModuleSet,
  graph: BuildGraph,
  options: ResolveSetOptions<U>,
): Promise<LockedPackages[]> {
  const configs = graph.closure(
    graph
      .nodes()
      .filter((n) => n.kind === 'config')
      .map((n) => n.id),
  );
  const runners = createNodeRunners({
    set,
    services: options.services,
    prefetch: false,
    outRoot: '.',
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  const result = await runGraph(configs, {
    runners,
    configConcurrency: options.concurrency ?? 4,
    buildConcurrency: 1,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!result.ok) {
    for (const n of configs.order()) {
      const o = result.outcomes.get(n.id);
      if (o && !o.ok && o.failure.reason === 'failed') throw o.failure.error;
    }
    throw new ApkgraphError('ERR_ABORTED', 'resolving the module set was cancelled');
  }
  return locksOf(result, graph);
}
