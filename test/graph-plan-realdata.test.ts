import { expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIndexText } from '../src/apk/apkindex.js';
import { writeApkIndex } from '../src/apk/apkindex-file.js';
import { generateSigningKey } from '../src/apk/keys.js';
import { main } from '../src/cli/main.js';
import { createRealServices } from '../src/scheduler/real-services.js';
import { resolveSetLocks } from '../src/scheduler/resolve-set.js';
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

  it('resolves chainguard-head against its synthetic indexes to the same figures', async () => {
    // A signed index made in a temp dir from synth/ (metadata only, no packages): resolution
    // needs nothing else, and must agree with the pins.
    const dir = await mkdtemp(join(tmpdir(), 'apkgraph-cg-'));
    try {
      const key = generateSigningKey('cg-test.rsa.pub');
      await writeFile(join(dir, key.name), key.publicKeyPem);
      for (const arch of ['x86_64', 'aarch64']) {
        const text = await readFile(
          realdata('modulesets', 'chainguard-head', 'synth', `chainguard-head-${arch}.APKINDEX`),
          'utf8',
        );
        await mkdir(join(dir, 'repo', arch), { recursive: true });
        await writeFile(
          join(dir, 'repo', arch, 'APKINDEX.tar.gz'),
          writeApkIndex({ packages: parseIndexText(text), key }),
        );
      }
      const set = await loadModuleSet(realdata('modulesets', 'chainguard-head'));
      const services = createRealServices({
        cacheDir: join(dir, 'cache'),
        mirrors: { 'https://apk.cgr.dev/chainguard': join(dir, 'repo') },
        fetchInProcess: true,
        buildInProcess: true,
      });
      try {
        const locks = await resolveSetLocks(set, buildGraph(set), {
          services,
          overrides: { keyring: [join(dir, key.name)] },
        });
        const stats = computePlanStats(locks);
        expect(stats.perArch.x86_64).toMatchObject({ references: 5081, unique: 579 });
        expect(formatRate(stats.perArch.x86_64!.idealHitRate)).toBe('88.6 %');
        expect(stats.overall).toMatchObject({ references: 9991, unique: 1112 });
      } finally {
        await services.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resolves alpine-3.22 against the real v3.22 index to apk-tools’ figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apkgraph-alpine-'));
    try {
      await mkdir(join(dir, 'repo', 'x86_64'), { recursive: true });
      await symlink(
        realdata('apkindex', 'alpine', 'alpine-v3.22-main-x86_64.APKINDEX.tar.gz'),
        join(dir, 'repo', 'x86_64', 'APKINDEX.tar.gz'),
      );
      const set = await loadModuleSet(realdata('modulesets', 'alpine-3.22'));
      const services = createRealServices({
        cacheDir: join(dir, 'cache'),
        mirrors: { 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main': join(dir, 'repo') },
        fetchInProcess: true,
        buildInProcess: true,
      });
      try {
        const stats = computePlanStats(await resolveSetLocks(set, buildGraph(set), { services }));
        // the figures apk-tools 2.14.10 gives for this set (modulesets/README.md)
        expect(stats.perArch.x86_64).toMatchObject({ configs: 135, references: 3888, unique: 253 });
      } finally {
        await services.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads alpine-3.22 and finds its names unpinned', async () => {
    const set = await loadModuleSet(realdata('modulesets', 'alpine-3.22'));
    expect(set.modules).toHaveLength(73);
    const graph = buildGraph(set);
    expect(graph.nodes().filter((n) => n.kind === 'build')).toHaveLength(135);
    expect('unpinned' in pinnedLocks(set, graph)).toBe(true);
  });
});
