/**
 * `--only-needed-by` on real data: the Alpine v3.22 main index and the alpine-3.22 module set.
 */
import { expect, it } from 'vitest';
import { loadModuleSet } from '../src/moduleset/load.js';
import { dependencyName, selectNeeded, unknownNames, worldNamesOf } from '../src/synth/select.js';
import { readSourceIndex } from '../src/synth/repo-synth.js';
import { describeRealdata, realdata } from './realdata.js';

describeRealdata('selectNeeded on alpine-3.22', () => {
  it('selects a closed set that holds every world name', async () => {
    const index = await readSourceIndex(
      realdata('apkindex', 'alpine', 'alpine-v3.22-main-x86_64.APKINDEX.tar.gz'),
    );
    const set = await loadModuleSet(realdata('modulesets', 'alpine-3.22'));
    const names = worldNamesOf(set);
    expect(unknownNames(index.packages, names)).toEqual([]);

    const chosen = selectNeeded(index.packages, names);
    // apk-tools installs 253 distinct packages for this set; the closure over names is a
    // superset and far smaller than the index.
    expect(chosen.length).toBeGreaterThanOrEqual(253);
    expect(chosen.length).toBeLessThan(index.packages.length / 10);

    const offered = new Set<string>();
    for (const r of chosen) {
      offered.add(r.name);
      for (const p of r.provides) offered.add(dependencyName(p));
    }
    for (const n of names) expect(offered, n).toContain(n);
    for (const r of chosen) {
      for (const d of r.depends) {
        if (!d.startsWith('!'))
          expect(offered, `${r.name} needs ${d}`).toContain(dependencyName(d));
      }
    }
  });
});
