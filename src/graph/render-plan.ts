/**
 * The three forms `apkgraph plan` prints: text for people, Graphviz dot, and JSON for scripts.
 * Everything is sorted so that two runs over the same set print the same bytes.
 */
import type { BuildGraph } from './build-graph.js';
import { formatRate, type PlanStats } from './plan-stats.js';

/** How the figures were obtained. */
export type StatsSource = 'pins' | 'resolved';

/** The plan as JSON-ready data. */
export interface PlanData {
  nodes: Array<{ id: string; kind: string; module: string; variant: string; needs: string[] }>;
  edges: Array<{ from: string; to: string; declaredAt?: string }>;
  order: string[];
  stats?: PlanStats & { source: StatsSource };
}

/** The plan as data. */
export function planData(graph: BuildGraph, stats?: PlanStats, source?: StatsSource): PlanData {
  const data: PlanData = {
    nodes: graph.nodes().map((n) => ({
      id: n.id,
      kind: n.kind,
      module: n.module,
      variant: n.variant,
      needs: graph.dependencies(n.id),
    })),
    edges: graph.edges().map((e) => ({
      from: e.from,
      to: e.to,
      ...(e.declaredAt
        ? { declaredAt: `${e.declaredAt.path}:${e.declaredAt.line}:${e.declaredAt.column}` }
        : {}),
    })),
    order: graph.order().map((n) => n.id),
  };
  if (stats) data.stats = { ...stats, source: source ?? 'resolved' };
  return data;
}

/** The figures as a small table: one row per arch, then all. */
export function renderStatsText(stats: PlanStats, source: StatsSource): string {
  const rows: string[][] = [['arch', 'configs', 'references', 'unique', 'ideal hit rate']];
  for (const [arch, f] of Object.entries(stats.perArch)) {
    rows.push([
      arch,
      String(f.configs),
      String(f.references),
      String(f.unique),
      formatRate(f.idealHitRate),
    ]);
  }
  const o = stats.overall;
  rows.push([
    'all',
    String(o.configs),
    String(o.references),
    String(o.unique),
    formatRate(o.idealHitRate),
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
  );
  const how =
    source === 'pins'
      ? 'from the configs’ name=version pins (complete closures; not checked against an index)'
      : 'from the resolved locks';
  return `predicted cache figures, ${how}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** `1 module`, `2 modules`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Text: one line per node in run order with what it needs, then the figures. */
export function renderPlanText(graph: BuildGraph, stats?: PlanStats, source?: StatsSource): string {
  const nodes = graph.nodes();
  const modules = new Set(nodes.map((n) => n.module)).size;
  const configs = nodes.filter((n) => n.kind === 'config').length;
  let out =
    `${count(modules, 'module')}, ${count(configs, 'config node')}, ` +
    `${count(nodes.length - configs, 'build node')}\n`;
  for (const n of graph.order()) {
    const needs = graph.dependencies(n.id);
    out += `  ${n.id}${needs.length > 0 ? `  <- ${needs.join(', ')}` : ''}\n`;
  }
  if (stats) out += `\n${renderStatsText(stats, source ?? 'resolved')}`;
  return out;
}

/** Graphviz dot; depends_on edges are bold. */
export function renderPlanDot(graph: BuildGraph): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['digraph apkgraph {', '  rankdir=LR;', '  node [fontname="monospace"];'];
  for (const n of graph.nodes()) {
    const shape = n.kind === 'config' ? 'box' : 'ellipse';
    lines.push(`  ${q(n.id)} [shape=${shape}, label=${q(`${n.kind}\n${n.module}:${n.variant}`)}];`);
  }
  for (const e of graph.edges()) {
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${e.declaredAt ? ' [style=bold]' : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
