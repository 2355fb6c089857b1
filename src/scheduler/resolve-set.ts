/**
 * Resolves every config node of a graph (no builds): what `plan` counts its figures from when
 * the configs are not all pinned, and what `lock SET` writes lock files from.
 */
import { ApkgraphError } from '../errors.js';
import type { BuildGraph } from '../graph/build-graph.js';
import type { LockedPackages } from '../graph/plan-stats.js';
import type { ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';
import { createNodeRunners, type BuildValue, type ConfigValue } from './nodes.js';
import { locksOf } from './run-set.js';
import { runGraph } from './scheduler.js';
import type { RunServices } from './services.js';
import type { RunResult } from './types.js';

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
  const { result } = await runConfigNodes(set, graph, options);
  return locksOf(result, graph);
}

/**
 * The config node values (per-arch locks) of every image `graph` builds, by node id in id
 * order; with `prefetch`, each node also downloads its packages into the cache first. The
 * first failure is thrown.
 */
export async function resolveSetConfigs<U>(
  set: ModuleSet,
  graph: BuildGraph,
  options: ResolveSetOptions<U> & { prefetch?: boolean },
): Promise<Map<string, ConfigValue>> {
  const { result } = await runConfigNodes(set, graph, options);
  const out = new Map<string, ConfigValue>();
  for (const [id, o] of [...result.outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!o.ok || !id.startsWith('config:')) continue;
    if (!graph.hasNode(id.replace(/^config:/, 'build:'))) continue;
    out.set(id, o.value as ConfigValue);
  }
  return out;
}

async function runConfigNodes<U>(
  set: ModuleSet,
  graph: BuildGraph,
  options: ResolveSetOptions<U> & { prefetch?: boolean },
): Promise<{ result: RunResult<ConfigValue, BuildValue> }> {
  const configs = graph.closure(
    graph
      .nodes()
      .filter((n) => n.kind === 'config')
      .map((n) => n.id),
  );
  const runners = createNodeRunners({
    set,
    services: options.services,
    prefetch: options.prefetch === true,
    outRoot: '.',
    builtModules: new Set(
      graph
        .nodes()
        .filter((n) => n.kind === 'build')
        .map((n) => n.module),
    ),
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
  return { result };
}
