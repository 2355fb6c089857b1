import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../src/errors.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { computePlanStats, formatRate } from '../src/graph/plan-stats.js';
import { selectTargets } from '../src/graph/targets.js';
import { moduleDef as mod } from './module-fixtures.js';

function thrown(f: () => unknown): ApkgraphError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ApkgraphError);
    return err as ApkgraphError;
  }
  throw new Error('expected an error');
}

describe('buildGraph', () => {
  it('wires config, build and latest-dev edges per module', () => {
    const g = buildGraph({ modules: [mod('web'), mod('static', [], false)] });
    expect(g.nodes().map((n) => n.id)).toEqual([
      'build:static:latest',
      'build:web:latest',
      'build:web:latest-dev',
      'config:static:latest',
      'config:web:latest',
      'config:web:latest-dev',
    ]);
    expect(g.edges().map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'config:static:latest -> build:static:latest',
      'config:web:latest -> build:web:latest',
      'config:web:latest -> config:web:latest-dev',
      'config:web:latest-dev -> build:web:latest-dev',
    ]);
  });

  it('orders a depends_on diamond deterministically whatever the input order', () => {
    const mods = [
      mod('top', ['left', 'right']),
      mod('left', ['base']),
      mod('right', ['base']),
      mod('base'),
    ];
    const a = buildGraph({ modules: mods });
    const b = buildGraph({ modules: [...mods].reverse() });
    const order = a.order().map((n) => n.id);
    expect(b.order().map((n) => n.id)).toEqual(order);
    const pos = (id: string): number => order.indexOf(id);
    expect(pos('config:base:latest')).toBeLessThan(pos('config:left:latest'));
    expect(pos('config:base:latest')).toBeLessThan(pos('config:right:latest'));
    expect(pos('config:left:latest')).toBeLessThan(pos('config:top:latest'));
    expect(pos('config:right:latest')).toBeLessThan(pos('config:top:latest'));
    expect(a.dependencies('config:top:latest')).toEqual([
      'config:left:latest',
      'config:right:latest',
    ]);
    const edge = a
      .edges()
      .find((e) => e.from === 'config:right:latest' && e.to === 'config:top:latest');
    expect(edge?.declaredAt).toEqual({ path: '/set/top/module.yaml', line: 3, column: 5 });
    expect(order.slice(0, 2)).toEqual(['config:base:latest', 'config:base:latest-dev']);
  });

  it('prints the whole cycle path and where each edge is declared', () => {
    const err = thrown(() =>
      buildGraph({ modules: [mod('a', ['b']), mod('b', ['c']), mod('c', ['a']), mod('d', ['a'])] }),
    );
    expect(err.code).toBe('ERR_GRAPH_CYCLE');
    expect(err.message).toBe(
      "the modules' depends_on form a cycle: a -> b -> c -> a\n" +
        '  a -> b: depends_on in /set/a/module.yaml:2:5\n' +
        '  b -> c: depends_on in /set/b/module.yaml:2:5\n' +
        '  c -> a: depends_on in /set/c/module.yaml:2:5',
    );
  });

  it('reports a module that depends on itself as a cycle', () => {
    const err = thrown(() => buildGraph({ modules: [mod('a', ['a'])] }));
    expect(err.code).toBe('ERR_GRAPH_CYCLE');
    expect(err.message).toContain('a -> a');
  });

  it('rejects depends_on naming a missing module with its position', () => {
    const err = thrown(() => buildGraph({ modules: [mod('a', ['base', 'nope']), mod('base')] }));
    expect(err.code).toBe('ERR_UNKNOWN_MODULE');
    expect(err.subject).toEqual({ path: '/set/a/module.yaml', line: 3, column: 5 });
    expect(err.message).toContain('"nope"');
  });
});

describe('selectTargets', () => {
  const g = buildGraph({ modules: [mod('app', ['base']), mod('base'), mod('other')] });

  it('keeps a target and what it needs', () => {
    const sub = selectTargets(g, ['app:latest']);
    expect(sub.nodes().map((n) => n.id)).toEqual([
      'build:app:latest',
      'config:app:latest',
      'config:base:latest',
    ]);
  });

  it('takes both variants for a bare module name', () => {
    const ids = selectTargets(g, ['base'])
      .nodes()
      .map((n) => n.id);
    expect(ids).toEqual([
      'build:base:latest',
      'build:base:latest-dev',
      'config:base:latest',
      'config:base:latest-dev',
    ]);
  });

  it('rejects unknown modules and variants', () => {
    expect(thrown(() => selectTargets(g, ['nope'])).code).toBe('ERR_USAGE');
    expect(thrown(() => selectTargets(g, ['app:edge'])).code).toBe('ERR_USAGE');
    const noDev = buildGraph({ modules: [mod('s', [], false)] });
    expect(thrown(() => selectTargets(noDev, ['s:latest-dev'])).code).toBe('ERR_USAGE');
  });

  it('takes comma-separated targets like repeated ones', () => {
    const ids = (t: string[]) =>
      selectTargets(g, t)
        .nodes()
        .map((n) => n.id)
        .sort();
    expect(ids(['base:latest,app:latest'])).toEqual(ids(['base:latest', 'app:latest']));
  });
});

describe('computePlanStats', () => {
  it('counts references, unique packages and the ideal hit rate per arch', () => {
    const s = computePlanStats([
      { node: 'config:a:latest', arch: 'x86_64', packages: ['z=1', 'b=1'] },
      { node: 'config:a:latest-dev', arch: 'x86_64', packages: ['z=1', 'b=1', 'git=2'] },
      { node: 'config:a:latest', arch: 'aarch64', packages: ['z=1'] },
    ]);
    expect(s.perArch.x86_64).toEqual({ configs: 2, references: 5, unique: 3, idealHitRate: 0.4 });
    expect(Object.keys(s.perArch)).toEqual(['aarch64', 'x86_64']);
    expect(s.overall).toMatchObject({ configs: 3, references: 6, unique: 4 });
    expect(formatRate(s.overall.idealHitRate)).toBe('33.3 %');
  });
});
