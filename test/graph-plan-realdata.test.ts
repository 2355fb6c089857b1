import { expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { pinnedLocks } from '../src/graph/pinned-locks.js';
import { computePlanStats, formatRate } from '../src/graph/plan-stats.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import { describeRealdata, realdata } from './realdata.js';

describeRealdata('plan figures on real module sets', () => {
  it('predicts 88.6 % for x86_64 on chainguard-head from its pins', async () => {
    const set = await loadModuleSet(realdata('modulesets', 'chainguard-head'));
    expect(set.modules).toHaveLength(61);
    const graph = buildGraph(set);
    const pinned = pinnedLocks(set, graph);
    if (!('locks' in pinned)) throw new Error(`unpinned: ${JSON.stringify(pinned.unpinned)}`);
    const stats = computePlanStats(pinned.locks);
    expect(stats.perArch.x86_64).toMatchObject({ configs: 110, references: 5081, unique: 579 });
    expect(stats.perArch.aarch64).toMatchObject({ configs: 108, references: 4910 });
    expect(formatRate(stats.perArch.x86_64!.idealHitRate)).toBe('88.6 %');
    expect(stats.overall.references).toBe(9991);
  });

  it('prints 88.6 % for x86_64 from `apkgraph plan`', async () => {
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    try {
      const code = await main([
        'node',
        'apkgraph',
        'plan',
        realdata('modulesets', 'chainguard-head'),
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out).toMatch(/^ {2}x86_64 +110 +5081 +579 +88\.6 %$/m);
    expect(out).toContain('61 modules, 110 config nodes, 110 build nodes');
  });

  it('loads alpine-3.22 and finds its names unpinned', async () => {
    const set = await loadModuleSet(realdata('modulesets', 'alpine-3.22'));
    expect(set.modules).toHaveLength(73);
    const graph = buildGraph(set);
    expect(graph.nodes().filter((n) => n.kind === 'build')).toHaveLength(135);
    expect('unpinned' in pinnedLocks(set, graph)).toBe(true);
  });
});
