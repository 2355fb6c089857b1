/**
 * Runs a module set end to end on given services: the scheduler over the graph with the config
 * and build runners, then the report (predicted figures from this run's locks next to the
 * cache's measured counters).
 */
import { packagePin } from '../apk/types.js';
import type { BuildGraph } from '../graph/build-graph.js';
import { computePlanStats, type LockedPackages } from '../graph/plan-stats.js';
import type { Logger } from '../log/logger.js';
import type { ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';
import { createNodeRunners, type BuildValue, type ConfigValue } from './nodes.js';
import { buildReport, type RunReport } from './report.js';
import { runGraph } from './scheduler.js';
import type { RunServices } from './services.js';
import type { RunResult, SchedulerEvent } from './types.js';

/** Options of {@link runModuleSet}. */
export interface RunModuleSetOptions<U> {
  set: ModuleSet;
  graph: BuildGraph;
  services: RunServices<U>;
  prefetch: boolean;
  /** Build nodes at once (the build pool's size). */
  jobs: number;
  /** Config nodes at once. */
  configConcurrency: number;
  keepGoing?: boolean;
  outRoot: string;
  overrides?: ConfigOverrides;
  onEvent?: (event: SchedulerEvent) => void;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The locks of every config node that finished and whose image is built in `graph`, as the
 * plan figures' input (a config run only for a depends_on installs nothing).
 */
export function locksOf(
  result: RunResult<ConfigValue, BuildValue>,
  graph?: BuildGraph,
): LockedPackages[] {
  const out: LockedPackages[] = [];
  for (const [id, o] of [...result.outcomes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!o.ok || !id.startsWith('config:')) continue;
    if (graph && !graph.hasNode(id.replace(/^config:/, 'build:'))) continue;
    const v = o.value as ConfigValue;
    for (const a of v.archs) {
      out.push({ node: id, arch: a.arch, packages: a.packages.map((p) => packagePin(p.record)) });
    }
  }
  return out;
}

/** Runs the set; node failures are in the result, never thrown. */
export async function runModuleSet<U>(
  options: RunModuleSetOptions<U>,
): Promise<{ result: RunResult<ConfigValue, BuildValue>; report: RunReport }> {
  const runners = createNodeRunners({
    set: options.set,
    services: options.services,
    prefetch: options.prefetch,
    outRoot: options.outRoot,
    builtModules: new Set(
      options.graph
        .nodes()
        .filter((n) => n.kind === 'build')
        .map((n) => n.module),
    ),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  const result = await runGraph(options.graph, {
    runners,
    configConcurrency: options.configConcurrency,
    buildConcurrency: options.jobs,
    keepGoing: options.keepGoing === true,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const report = buildReport({
    graph: options.graph,
    result,
    predicted: computePlanStats(locksOf(result, options.graph)),
    measured: options.services.cacheStats(),
    settings: {
      prefetch: options.prefetch,
      jobs: options.jobs,
      configConcurrency: options.configConcurrency,
      keepGoing: options.keepGoing === true,
    },
  });
  return { result, report };
}
