import { describe, expect, it } from 'vitest';
import { buildGraph } from '../src/graph/build-graph.js';
import { computePlanStats } from '../src/graph/plan-stats.js';
import { planData, renderPlanDot, renderPlanText } from '../src/graph/render-plan.js';
import type { ModuleDef } from '../src/moduleset/types.js';
import { moduleDef } from './module-fixtures.js';

/** The dependency is declared inline (`depends_on: [base]`), on line 1 at column 13. */
const mod = (name: string, deps: string[] = [], dev = true): ModuleDef =>
  moduleDef(name, deps, dev, () => ({ line: 1, column: 13 }));

const graph = buildGraph({ modules: [mod('app', ['base'], false), mod('base', [], false)] });
const stats = computePlanStats([
  { node: 'config:app:latest', arch: 'x86_64', packages: ['a=1', 'b=1'] },
  { node: 'config:base:latest', arch: 'x86_64', packages: ['a=1'] },
]);

describe('renderPlanText', () => {
  it('prints nodes in run order with what they need, then the figures', () => {
    expect(renderPlanText(graph, stats, 'pins')).toBe(
      [
        '2 modules, 2 config nodes, 2 build nodes',
        '  config:base:latest',
        '  config:app:latest  <- config:base:latest',
        '  build:app:latest  <- config:app:latest',
        '  build:base:latest  <- config:base:latest',
        '',
        'predicted cache figures, from the configs’ name=version pins (complete closures; not checked against an index):',
        '  arch    configs  references  unique  ideal hit rate',
        '  x86_64        2           3       2          33.3 %',
        '  all           2           3       2          33.3 %',
        '',
      ].join('\n'),
    );
  });
});

describe('renderPlanDot', () => {
  it('draws depends_on edges bold', () => {
    const dot = renderPlanDot(graph);
    expect(dot).toContain('"config:base:latest" -> "config:app:latest" [style=bold];');
    expect(dot).toContain('"config:app:latest" -> "build:app:latest";');
    expect(dot.startsWith('digraph apkgraph {')).toBe(true);
  });
});

describe('planData', () => {
  it('records where a depends_on edge was declared', () => {
    const data = planData(graph, stats, 'resolved');
    expect(data.edges.find((e) => e.to === 'config:app:latest')?.declaredAt).toBe(
      '/set/app/module.yaml:1:13',
    );
    expect(data.stats?.source).toBe('resolved');
    expect(data.order[0]).toBe('config:base:latest');
  });
});
