/**
 * Runs a build graph: each node starts as soon as the nodes it needs are done, within a
 * concurrency bound per kind (config nodes resolve and prefetch, build nodes go to the build
 * pool). The scheduler owns one AbortController: the caller's signal (Ctrl-C) and, unless
 * `keepGoing`, the first failure abort it, which cancels every running task and leaves every
 * queued one cancelled. With `keepGoing`, everything that does not need a failed node runs.
 */
import { setMaxListeners } from 'node:events';
import { AbortError, ApkgraphError, isApkgraphError, wrapError } from '../errors.js';
import type { BuildGraph, GraphNode, NodeKind } from '../graph/build-graph.js';
import type {
  Failure,
  NodeRunners,
  NodeTiming,
  Outcome,
  RunResult,
  SchedulerEvent,
} from './types.js';

/** Options of {@link runGraph}. */
export interface RunGraphOptions<TConfig, TBuild> {
  runners: NodeRunners<TConfig, TBuild>;
  /** How many config nodes run at once (≥ 1). */
  configConcurrency: number;
  /** How many build nodes run at once (≥ 1); usually the build pool's size. */
  buildConcurrency: number;
  /** Run everything that does not depend on a failure instead of stopping at the first. */
  keepGoing?: boolean;
  onEvent?: (event: SchedulerEvent) => void;
  /** A clock in milliseconds; injectable for tests. */
  now?: () => number;
  signal?: AbortSignal;
}

function checkConcurrency(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new ApkgraphError('ERR_USAGE', `${name} must be a positive integer, got ${n}`);
  }
}

/** Ready nodes: latest before latest-dev (dev fetches less once latest is cached), then id. */
function readyRank(n: GraphNode): string {
  return `${n.variant === 'latest' ? 0 : 1}${n.id}`;
}

/** Runs `graph`; never throws for a node's failure, only for bad options. */
export async function runGraph<TConfig, TBuild>(
  graph: BuildGraph,
  options: RunGraphOptions<TConfig, TBuild>,
): Promise<RunResult<TConfig, TBuild>> {
  checkConcurrency('the config concurrency', options.configConcurrency);
  checkConcurrency('--jobs', options.buildConcurrency);
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const at = (): number => now() - t0;
  const emit = (e: SchedulerEvent): void => options.onEvent?.(e);

  const controller = new AbortController();
  // Every running task listens on this one signal; their number is bounded by the concurrency.
  setMaxListeners(0, controller.signal);
  const onOuterAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const nodes = graph.nodes();
  const waiting = new Map(nodes.map((n) => [n.id, graph.dependencies(n.id).length]));
  const outcomes = new Map<string, Outcome<TConfig | TBuild>>();
  const timings = new Map<string, NodeTiming>();
  const configValues = new Map<string, TConfig>();
  const ready: Record<NodeKind, GraphNode[]> = { config: [], build: [] };
  const limit: Record<NodeKind, number> = {
    config: options.configConcurrency,
    build: options.buildConcurrency,
  };
  const freeLanes: Record<NodeKind, number[]> = {
    config: Array.from({ length: limit.config }, (_, i) => i),
    build: Array.from({ length: limit.build }, (_, i) => i),
  };
  let running = 0;
  let ok = true;

  emit({
    type: 'run-start',
    total: {
      config: nodes.filter((n) => n.kind === 'config').length,
      build: nodes.filter((n) => n.kind === 'build').length,
    },
  });

  const markReady = (n: GraphNode): void => {
    timings.set(n.id, { readyMs: at() });
    ready[n.kind].push(n);
  };
  for (const n of nodes) if (waiting.get(n.id) === 0) markReady(n);

  /** Marks everything downstream of `id` as not run because of `id`. */
  const skipDependents = (id: string): void => {
    for (const next of graph.dependents(id)) {
      if (outcomes.has(next)) continue;
      const failure: Failure = { reason: 'dependency-failed', dependency: id };
      outcomes.set(next, { ok: false, failure });
      emit({ type: 'node-skip', node: graph.node(next), failure });
      skipDependents(next);
    }
  };

  const cancelQueued = (): void => {
    for (const n of nodes) {
      if (outcomes.has(n.id) || timings.get(n.id)?.startMs !== undefined) continue;
      const failure: Failure = { reason: 'cancelled' };
      outcomes.set(n.id, { ok: false, failure });
      emit({ type: 'node-skip', node: n, failure });
    }
    ready.config.length = 0;
    ready.build.length = 0;
  };

  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));

  const pump = (): void => {
    if (controller.signal.aborted) cancelQueued();
    for (const kind of ['config', 'build'] as const) {
      const queue = ready[kind];
      queue.sort((a, b) => (readyRank(a) < readyRank(b) ? -1 : 1));
      while (queue.length > 0 && freeLanes[kind].length > 0) {
        const node = queue.shift() as GraphNode;
        const lane = freeLanes[kind].shift() as number;
        start(node, lane);
      }
    }
    if (running === 0) finish();
  };

  const start = (node: GraphNode, lane: number): void => {
    running++;
    const timing = timings.get(node.id) ?? { readyMs: at() };
    timing.startMs = at();
    timing.lane = lane;
    timings.set(node.id, timing);
    emit({ type: 'node-start', node, lane, atMs: timing.startMs });
    const inputs = new Map<string, TConfig>();
    for (const dep of graph.dependencies(node.id)) {
      const v = configValues.get(dep);
      if (v !== undefined) inputs.set(dep, v);
    }
    const ctx = { inputs, lane, signal: controller.signal };
    // A runner that throws synchronously still becomes an outcome, never an unhandled error.
    const task = Promise.resolve().then<TConfig | TBuild>(() =>
      node.kind === 'config' ? options.runners.config(node, ctx) : options.runners.build(node, ctx),
    );
    task.then(
      (value) => settle(node, lane, { ok: true, value }),
      (err: unknown) => settle(node, lane, { ok: false, failure: toFailure(node, err) }),
    );
  };

  const toFailure = (node: GraphNode, err: unknown): Failure => {
    if (controller.signal.aborted && isApkgraphError(err) && err.code === 'ERR_ABORTED') {
      return { reason: 'cancelled' };
    }
    const wrapped = isApkgraphError(err)
      ? wrapError(`${node.kind} ${node.module} ${node.variant}`, err, err.code, { node: node.id })
      : wrapError(`${node.kind} ${node.module} ${node.variant}`, err, 'ERR_INTERNAL', {
          node: node.id,
        });
    return { reason: 'failed', error: wrapped };
  };

  const settle = (node: GraphNode, lane: number, outcome: Outcome<TConfig | TBuild>): void => {
    running--;
    freeLanes[node.kind].push(lane);
    freeLanes[node.kind].sort((a, b) => a - b);
    const timing = timings.get(node.id);
    if (timing) timing.endMs = at();
    outcomes.set(node.id, outcome);
    emit({
      type: 'node-end',
      node,
      lane,
      atMs: timing?.endMs ?? at(),
      ok: outcome.ok,
      ...(outcome.ok ? {} : { failure: outcome.failure }),
    });
    if (outcome.ok) {
      if (node.kind === 'config') configValues.set(node.id, outcome.value as TConfig);
      for (const next of graph.dependents(node.id)) {
        const left = (waiting.get(next) ?? 0) - 1;
        waiting.set(next, left);
        if (left === 0 && !outcomes.has(next)) markReady(graph.node(next));
      }
    } else {
      ok = false;
      skipDependents(node.id);
      if (!options.keepGoing && outcome.failure.reason === 'failed') {
        controller.abort(new AbortError(`${node.id} failed`));
      }
    }
    pump();
  };

  pump();
  await done;
  options.signal?.removeEventListener('abort', onOuterAbort);
  // A node that settled ok after an abort still counts; what was never started did not run.
  if ([...outcomes.values()].some((o) => !o.ok) || outcomes.size < nodes.length) ok = false;
  emit({ type: 'run-end', ok, atMs: at() });
  return { ok, outcomes, timings, durationMs: at() };
}
