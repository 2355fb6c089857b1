/**
 * Node outcomes and progress events of the scheduler. Outcomes are data: a failed node does
 * not throw through the scheduler, it becomes `{ok: false, failure}` and the command line
 * decides how to show it.
 */
import type { ApkgraphError } from '../errors.js';
import type { GraphNode, NodeKind } from '../graph/build-graph.js';

/** Why a node has no value. */
export type Failure =
  /** The node ran and threw. */
  | { reason: 'failed'; error: ApkgraphError }
  /** A node it needs failed (or was itself skipped), so it never ran. */
  | { reason: 'dependency-failed'; dependency: string }
  /** The run was cancelled (Ctrl-C, or fail-fast after another node failed) first. */
  | { reason: 'cancelled' };

export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** When a node ran, on which lane (a slot of its kind's concurrency, one trace track each). */
export interface NodeTiming {
  /** Milliseconds since the run started. */
  readyMs: number;
  startMs?: number;
  endMs?: number;
  lane?: number;
}

/** Typed progress events; the command line renders them. */
export type SchedulerEvent =
  | { type: 'run-start'; total: Record<NodeKind, number> }
  | { type: 'node-start'; node: GraphNode; lane: number; atMs: number }
  | {
      type: 'node-end';
      node: GraphNode;
      lane: number;
      atMs: number;
      ok: boolean;
      failure?: Failure;
    }
  | { type: 'node-skip'; node: GraphNode; failure: Failure }
  | { type: 'run-end'; ok: boolean; atMs: number };

/** What every task gets. */
export interface TaskContext<TConfig> {
  /** Results of the config nodes this node waits for, by node id. */
  inputs: ReadonlyMap<string, TConfig>;
  /** The trace lane the task runs on. */
  lane: number;
  signal: AbortSignal;
}

/** The work of each kind of node; the scheduler only orders and bounds it. */
export interface NodeRunners<TConfig, TBuild> {
  config(node: GraphNode, ctx: TaskContext<TConfig>): Promise<TConfig>;
  build(node: GraphNode, ctx: TaskContext<TConfig>): Promise<TBuild>;
}

/** The result of a whole run. */
export interface RunResult<TConfig, TBuild> {
  ok: boolean;
  outcomes: Map<string, Outcome<TConfig | TBuild>>;
  timings: Map<string, NodeTiming>;
  /** Wall time of the run in milliseconds. */
  durationMs: number;
}
