/**
 * The build graph of a module set.
 *
 * Per module m (edges point from a node to the nodes that wait for it):
 *
 *     config(m,latest) → build(m,latest)
 *     config(m,latest) → config(m,latest-dev) → build(m,latest-dev)
 *     config(d,latest) → config(m,latest)          for every d in m's depends_on
 *
 * latest-dev's config waits for latest's because it starts from latest's lock and only adds
 * the dev packages, so the two variants share every version and dev fetches only its extras.
 */
import { Graph } from '@dagrejs/graphlib';
import { ApkgraphError } from '../errors.js';
import type { ModuleSet } from '../moduleset/types.js';
import { formatPos, type SourcePos } from '../moduleset/yaml-fields.js';

export type NodeKind = 'config' | 'build';
export type Variant = 'latest' | 'latest-dev';
export const VARIANTS: readonly Variant[] = ['latest', 'latest-dev'];

/** One node of the graph. */
export interface GraphNode {
  /** `config:web:latest`, `build:web:latest-dev`. */
  id: string;
  kind: NodeKind;
  module: string;
  variant: Variant;
}

/** An edge and why it exists. */
export interface GraphEdge {
  from: string;
  to: string;
  /** Where a depends_on edge was written; absent for the edges every module has. */
  declaredAt?: SourcePos;
}

/** The node id of (kind, module, variant). */
export function nodeId(kind: NodeKind, module: string, variant: Variant): string {
  return `${kind}:${module}:${variant}`;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A directed acyclic graph of config and build nodes with deterministic orders. */
export class BuildGraph {
  readonly #g = new Graph({ directed: true });

  /** @internal use {@link buildGraph}. */
  addNode(n: GraphNode): void {
    this.#g.setNode(n.id, n);
  }

  /** @internal use {@link buildGraph}. */
  addEdge(e: GraphEdge): void {
    this.#g.setEdge(e.from, e.to, e);
  }

  hasNode(id: string): boolean {
    return this.#g.hasNode(id);
  }

  node(id: string): GraphNode {
    const n = this.#g.node(id) as GraphNode | undefined;
    if (!n) throw new ApkgraphError('ERR_INTERNAL', `internal error: no graph node ${id}`);
    return n;
  }

  /** Every node, sorted by id. */
  nodes(): GraphNode[] {
    return this.#g
      .nodes()
      .sort(byString)
      .map((id) => this.node(id));
  }

  /** Every edge, sorted by (from, to). */
  edges(): GraphEdge[] {
    return this.#g
      .edges()
      .map((e) => this.#g.edge(e) as GraphEdge)
      .sort((a, b) => byString(a.from, b.from) || byString(a.to, b.to));
  }

  /** The nodes `id` waits for, sorted. */
  dependencies(id: string): string[] {
    return (this.#g.predecessors(id) ?? []).sort(byString);
  }

  /** The nodes that wait for `id`, sorted. */
  dependents(id: string): string[] {
    return (this.#g.successors(id) ?? []).sort(byString);
  }

  /**
   * A topological order that does not depend on insertion order: among the nodes that are
   * ready, configs before builds, then by id.
   */
  order(): GraphNode[] {
    const indeg = new Map<string, number>();
    for (const id of this.#g.nodes()) indeg.set(id, this.dependencies(id).length);
    const rank = (id: string): string => `${this.node(id).kind === 'config' ? 0 : 1}${id}`;
    const ready = [...indeg].filter(([, d]) => d === 0).map(([id]) => id);
    const out: GraphNode[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => byString(rank(a), rank(b)));
      const id = ready.shift() as string;
      out.push(this.node(id));
      for (const next of this.dependents(id)) {
        const d = (indeg.get(next) ?? 0) - 1;
        indeg.set(next, d);
        if (d === 0) ready.push(next);
      }
    }
    return out;
  }

  /** The subgraph made of `ids` and everything they need, transitively. */
  closure(ids: Iterable<string>): BuildGraph {
    const keep = new Set<string>();
    const stack = [...ids];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (keep.has(id)) continue;
      keep.add(id);
      stack.push(...this.dependencies(id));
    }
    const sub = new BuildGraph();
    for (const id of keep) sub.addNode(this.node(id));
    for (const e of this.edges()) if (keep.has(e.from) && keep.has(e.to)) sub.addEdge(e);
    return sub;
  }
}

/**
 * Builds the graph of `set`. Throws ERR_UNKNOWN_MODULE for a depends_on naming no module and
 * ERR_GRAPH_CYCLE, with the whole path and where each edge is declared, for a cycle.
 */
export function buildGraph(set: Pick<ModuleSet, 'modules' | 'foldersWithoutApko'>): BuildGraph {
  const g = new BuildGraph();
  const names = new Set(set.modules.map((m) => m.name));
  for (const m of set.modules) {
    const variants: Variant[] = m.settings.dev ? ['latest', 'latest-dev'] : ['latest'];
    for (const v of variants) {
      g.addNode({ id: nodeId('config', m.name, v), kind: 'config', module: m.name, variant: v });
      g.addNode({ id: nodeId('build', m.name, v), kind: 'build', module: m.name, variant: v });
      g.addEdge({ from: nodeId('config', m.name, v), to: nodeId('build', m.name, v) });
    }
    if (m.settings.dev) {
      g.addEdge({
        from: nodeId('config', m.name, 'latest'),
        to: nodeId('config', m.name, 'latest-dev'),
      });
    }
  }
  for (const m of set.modules) {
    for (const d of m.settings.dependsOn) {
      if (!names.has(d.module)) {
        const folderOnly = set.foldersWithoutApko?.includes(d.module) === true;
        const why = folderOnly
          ? `whose folder exists but has no apko.yaml, so it is not a module`
          : 'which is not a module of this set';
        throw new ApkgraphError(
          'ERR_UNKNOWN_MODULE',
          `module ${m.name} depends on "${d.module}", ${why} (declared at ${formatPos(d.pos)})`,
          {
            path: d.pos.path,
            line: d.pos.line,
            column: d.pos.column,
            hint: folderOnly
              ? `add ${d.module}/apko.yaml, or drop "${d.module}" from depends_on`
              : `known modules: ${[...names].sort(byString).join(', ')}`,
          },
        );
      }
      g.addEdge({
        from: nodeId('config', d.module, 'latest'),
        to: nodeId('config', m.name, 'latest'),
        declaredAt: d.pos,
      });
    }
  }
  checkCycles(set);
  return g;
}

/** Finds a depends_on cycle, deterministically (modules and edges in name order). */
function checkCycles(set: Pick<ModuleSet, 'modules' | 'foldersWithoutApko'>): void {
  const deps = new Map(set.modules.map((m) => [m.name, m.settings.dependsOn]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'open');
    path.push(name);
    for (const d of deps.get(name) ?? []) {
      const s = state.get(d.module);
      if (s === 'open') return [...path.slice(path.indexOf(d.module)), d.module];
      if (s === undefined) {
        const found = visit(d.module);
        if (found) return found;
      }
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const m of [...set.modules].sort((a, b) => byString(a.name, b.name))) {
    if (state.has(m.name)) continue;
    const cycle = visit(m.name);
    if (!cycle) continue;
    const where = cycle.slice(0, -1).map((from, i) => {
      const to = cycle[i + 1] as string;
      const pos = deps.get(from)?.find((d) => d.module === to)?.pos;
      return `  ${from} -> ${to}: depends_on in ${pos ? formatPos(pos) : '?'}`;
    });
    const first = deps.get(cycle[0] as string)?.find((d) => d.module === cycle[1])?.pos;
    throw new ApkgraphError(
      'ERR_GRAPH_CYCLE',
      `the modules' depends_on form a cycle: ${cycle.join(' -> ')}\n${where.join('\n')}`,
      {
        ...(first ? { path: first.path, line: first.line, column: first.column } : {}),
        hint: 'remove one of these depends_on entries',
      },
    );
  }
}
