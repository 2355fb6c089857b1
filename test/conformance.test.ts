/**
 * Conformance with apk-tools 2.14.10: every public case of the real resolver's own runs
 * (../shared/realdata/conformance) is resolved here against the same signed Alpine indexes,
 * and the selected sets are compared. apk's install order is not copied exactly, so order is
 * checked only for what it must guarantee: each package after the packages it depends on.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { beforeAll, expect, it } from 'vitest';
import { readApkIndexFile } from '../src/apk/apkindex-file.js';
import { parseApkoConfig } from '../src/config/apko.js';
import { isApkgraphError } from '../src/errors.js';
import { lockVariants } from '../src/lock/variants.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import { resolve, type Resolution } from '../src/resolve/resolve.js';
import { buildUniverse, type Universe } from '../src/resolve/universe.js';
import type { PackageRecord } from '../src/apk/types.js';
import { describeRealdata, realdata } from './realdata.js';

interface Case {
  id: string;
  category: string;
  index: string[];
  arch: string;
  world: string[];
  ok: boolean;
  packages: Array<{ name: string; version: string }>;
  errors: string[];
}

/** Cases where apkgraph knowingly differs from apk-tools, with the reason (docs/resolver.md). */
const ALLOWED_DIFFERENCES: ReadonlyMap<string, string> = new Map();

const indexCache = new Map<string, Promise<PackageRecord[]>>();
function loadIndex(path: string): Promise<PackageRecord[]> {
  let p = indexCache.get(path);
  if (!p) {
    p = readApkIndexFile(realdata(path), { allowUnsigned: true }).then((i) => i.packages);
    indexCache.set(path, p);
  }
  return p;
}

const universes = new Map<string, Universe>();
async function universeFor(c: Case): Promise<Universe> {
  const key = `${c.arch}|${c.index.join('|')}`;
  let u = universes.get(key);
  if (!u) {
    const repos = await Promise.all(
      c.index.map(async (path) => ({ url: path, packages: await loadIndex(path) })),
    );
    u = buildUniverse(repos, { arch: c.arch });
    universes.set(key, u);
  }
  return u;
}

/**
 * Packages that come before one of their dependencies. Cycles (often closed by an install_if
 * package such as `py3-foo-pyc`) force some edge backwards; such an edge is accepted when
 * apk-tools placed the same two packages the same way.
 */
function checkOrder(res: Resolution, apkOrder: ReadonlyArray<{ name: string }>): string[] {
  const problems: string[] = [];
  const position = new Map<string, number>();
  res.packages.forEach((p, i) => {
    position.set(p.name, i);
    for (const prov of p.record.provides) position.set(prov.split('=')[0] ?? prov, i);
  });
  const apkPosition = new Map(apkOrder.map((p, i) => [p.name, i]));
  res.packages.forEach((p, i) => {
    for (const d of p.record.depends) {
      if (d.startsWith('!')) continue;
      const at = position.get(d.split(/[<>=~]/)[0] ?? d);
      if (at === undefined || at <= i) continue;
      const dep = res.packages[at]?.name ?? '';
      const apkMine = apkPosition.get(p.name) ?? -1;
      const apkDep = apkPosition.get(dep) ?? -1;
      if (apkMine < apkDep) continue;
      problems.push(`${p.name} comes before its dependency ${dep}`);
    }
  });
  return problems;
}

describeRealdata('apk-tools conformance', () => {
  let cases: Case[] = [];
  const outcomes: Array<{ c: Case; got: Resolution | Error }> = [];

  beforeAll(async () => {
    const data = JSON.parse(
      readFileSync(realdata('conformance', 'apk-tools-resolve.json'), 'utf8'),
    ) as { cases: Case[] };
    cases = data.cases;
    for (const c of cases) {
      const u = await universeFor(c);
      try {
        outcomes.push({ c, got: resolve(c.world, u) });
      } catch (err) {
        if (!isApkgraphError(err)) throw err;
        outcomes.push({ c, got: err });
      }
    }
  }, 60_000);

  it('selects the same packages as apk-tools in at least 99 % of cases', () => {
    let same = 0;
    const mismatches: string[] = [];
    for (const { c, got } of outcomes) {
      const want = c.ok ? c.packages.map((p) => `${p.name}=${p.version}`).sort() : null;
      const have =
        got instanceof Error ? null : got.packages.map((p) => `${p.name}=${p.version}`).sort();
      const agree =
        want === null ? have === null : have !== null && want.join(' ') === have.join(' ');
      if (agree || ALLOWED_DIFFERENCES.has(c.id)) {
        same++;
        continue;
      }
      const detail =
        have === null
          ? `failed: ${(got as Error).message.split('\n').slice(0, 4).join(' | ')}`
          : want === null
            ? `succeeded with ${have.length} packages; apk failed: ${c.errors.slice(1, 3).join(' | ')}`
            : `extra [${have.filter((x) => !want.includes(x)).join(' ')}] missing [${want.filter((x) => !have.includes(x)).join(' ')}]`;
      mismatches.push(`${c.id} ${JSON.stringify(c.world)}: ${detail}`);
    }
    const pct = (100 * same) / outcomes.length;
    const sameOrder = outcomes.filter(
      ({ c, got }) =>
        c.ok &&
        !(got instanceof Error) &&
        got.packages.map((p) => p.name).join(' ') === c.packages.map((p) => p.name).join(' '),
    ).length;
    const okCount = outcomes.filter(({ c }) => c.ok).length;
    const report = [
      `apk-tools conformance: ${same}/${outcomes.length} identical (${pct.toFixed(2)} %)`,
      `apk-tools install order: ${sameOrder}/${okCount} identical`,
      ...mismatches.map((m) => `  mismatch ${m}`),
    ];
    // eslint-disable-next-line no-console -- the figures and mismatches are this test's report
    console.log(report.join('\n'));
    expect(outcomes.length).toBeGreaterThan(700);
    expect(pct).toBeGreaterThanOrEqual(99);
    // Reverse-dependency lists follow apk's hash order, so install order matches too.
    expect(sameOrder / okCount).toBeGreaterThanOrEqual(0.99);
  });

  it('fails every world that apk-tools fails', () => {
    const missed = outcomes
      .filter(({ c, got }) => !c.ok && !(got instanceof Error))
      .map(({ c }) => c.id);
    expect(missed).toEqual([]);
  });

  it('installs every package after its dependencies', () => {
    const problems = outcomes.flatMap(({ c, got }) =>
      got instanceof Error ? [] : checkOrder(got, c.packages).map((p) => `${c.id}: ${p}`),
    );
    expect(problems).toEqual([]);
  });
});

describeRealdata('alpine-3.22 module set', () => {
  it('locks every module, latest and latest-dev, against the v3.22 main index', async () => {
    const set = await loadModuleSet(realdata('modulesets', 'alpine-3.22'));
    const index = await loadIndex('apkindex/alpine/alpine-v3.22-main-x86_64.APKINDEX.tar.gz');
    const universe = buildUniverse(
      [{ url: set.settings.repositories[0] ?? 'main', packages: index }],
      {
        arch: 'x86_64',
      },
    );
    const universes = new Map([['x86_64', universe]]);
    const failures: string[] = [];
    let solves = 0;
    for (const m of set.modules) {
      const config = parseApkoConfig(await readFile(m.apkoPath, 'utf8'), m.apkoPath);
      try {
        const devPackages = m.settings.dev
          ? [...set.settings.devPackages, ...m.settings.extraDevPackages]
          : undefined;
        const { latest, dev } = lockVariants({
          config,
          universes,
          basePackages: set.settings.packages,
          ...(devPackages ? { devPackages } : {}),
        });
        solves += dev ? 2 : 1;
        const latestPins = latest.perArch.get('x86_64') ?? [];
        expect(latestPins.some((p) => p.startsWith('alpine-baselayout='))).toBe(true);
        if (dev) {
          const devPins = new Set(dev.perArch.get('x86_64'));
          // latest-dev extends latest: every package latest has, at the same version.
          expect(latestPins.filter((p) => !devPins.has(p))).toEqual([]);
        }
      } catch (err) {
        failures.push(`${m.name}: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(set.modules.length).toBe(73);
    expect(solves).toBeGreaterThan(73);
  });
});
