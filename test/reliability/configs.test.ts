/**
 * Bad configurations through the compiled CLI (`node bin/apkgraph.js run`), against a signed
 * repository served on 127.0.0.1. Each case checks the exit code, the `error[CODE]` line and
 * the input it names, and that the refused run left no image and no `.tmp-` file behind
 * (`npm run build` first; `npm test` does).
 */
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModuleSet, type ModuleSetSpec } from '../../src/moduleset/write.js';
import { startRepoServer, type RepoServer } from '../../src/serve/repo-server.js';
import {
  expectCacheClean,
  hasDist,
  listFiles,
  makeTemp,
  removeTemp,
  runCli,
  tempLeftovers,
  writeRepo,
  type CliResult,
  type TestRepo,
} from './fixtures.js';

let tmp: string;
let repo: TestRepo;
let server: RepoServer;
let n = 0;

beforeAll(async () => {
  tmp = await makeTemp('cfg');
  const root = join(tmp, 'repo');
  repo = await writeRepo(root, ['x86_64'], [{ name: 'p1', version: '2.0-r0' }, { name: 'p2' }]);
  // aarch64 only has the old p1: a constraint that holds on one arch and not the other.
  await writeRepo(root, ['aarch64'], [{ name: 'p1', version: '1.0-r0' }, { name: 'p2' }]);
  // An x86_64 directory whose index and packages all say aarch64.
  await writeRepo(join(root, 'wrong'), ['aarch64'], [{ name: 'p3' }]);
  await rename(join(root, 'wrong', 'aarch64'), join(root, 'wrong', 'x86_64'));
  server = await startRepoServer({ root });
});
afterAll(async () => {
  await server?.close();
  await removeTemp(tmp);
});

/** Writes `modules` as a set using the test repository and runs it; returns the run and dirs. */
async function runSet(
  modules: ModuleSetSpec['modules'],
  settings: Record<string, unknown> = {},
): Promise<{ res: CliResult; out: string; cache: string; set: string }> {
  const base = join(tmp, `case-${++n}`);
  const set = join(base, 'set');
  await writeModuleSet(set, {
    settings: {
      archs: ['x86_64'],
      repositories: [server.url],
      keyring: [repo.keyPath],
      ...settings,
    },
    modules,
  });
  const out = join(base, 'out');
  const cache = join(base, 'cache');
  const res = await runCli(['run', set, '--cache-dir', cache, '--out', out, '--jobs', '1']);
  return { res, out, cache, set };
}

/** A refused run leaves no image (no index.json anywhere), no temp file, a clean cache. */
async function expectNoImage(out: string, cache: string): Promise<void> {
  expect((await listFiles(out)).filter((f) => f.endsWith('index.json'))).toEqual([]);
  expect(await tempLeftovers(join(out, '..'))).toEqual([]);
  if (existsSync(cache)) await expectCacheClean(cache);
}

const noDev = { dev: false };

// The cases are independent processes with their own directories: run them side by side.
describe.skipIf(!hasDist)('apkgraph run with bad configs', { concurrent: true }, () => {
  it('exits 1 with ERR_CONFIG_YAML and the position for malformed YAML', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: 'contents:\n  packages: [p1\n  bad: : :\n' },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[ERR_CONFIG_YAML\]: .*a\/apko\.yaml:3:3/);
    expect(res.stderr).toContain('hint: fix the YAML syntax');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_CONFIG naming an unknown key and the allowed ones', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: ['p1'], pakages: ['p2'] } } },
    });
    expect(res.code).toBe(1);
    // Codes and positions are stable; the prose around them may change.
    expect(res.stderr).toMatch(/error\[ERR_CONFIG\]: .*a\/apko\.yaml:4:3: .*unknown/);
    expect(res.stderr).toContain('pakages');
    expect(res.stderr).toMatch(/hint: .*packages/);
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_CONFIG for a value of the wrong type', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: 'p1' } } },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[ERR_CONFIG\]: .*a\/apko\.yaml:2:13/);
    expect(res.stderr).toContain('contents.packages must be a list');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_GRAPH_CYCLE and both depends_on positions for a cycle', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: ['p1'] } }, module: { depends_on: ['b'] } },
      b: { apko: { contents: { packages: ['p2'] } }, module: { depends_on: ['a'] } },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_GRAPH_CYCLE]');
    expect(res.stderr).toContain('a -> b -> a');
    expect(res.stderr).toMatch(/a\/module\.yaml:\d+:\d+/);
    expect(res.stderr).toMatch(/b\/module\.yaml:\d+:\d+/);
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_UNKNOWN_MODULE when depends_on names a missing module', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: ['p1'] } }, module: { depends_on: ['ghost'] } },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_UNKNOWN_MODULE]');
    expect(res.stderr).toContain('"ghost"');
    expect(res.stderr).toContain('hint: known modules: a');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_RESOLVE naming an unknown package, and downloads nothing', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: ['p1', 'nosuchpkg'] } }, module: noDev },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_RESOLVE]');
    expect(res.stderr).toContain('nosuchpkg: no such package');
    expect(res.stderr).toContain('node: config:a:latest');
    await expectNoImage(out, cache);
    expect(
      (await listFiles(cache)).filter((f) => f.endsWith('.apk') || f.includes('.dat.')),
    ).toEqual([]);
  });

  it('exits 1 with ERR_RESOLVE for an unsatisfiable constraint', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { contents: { packages: ['p2>=3'] } }, module: noDev },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_RESOLVE]');
    expect(res.stderr).toContain('p2>=3');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_RESOLVE naming the arch where a constraint cannot hold', async () => {
    const { res, out, cache } = await runSet(
      { a: { apko: { contents: { packages: ['p1>=2'] } }, module: noDev } },
      { archs: ['x86_64', 'aarch64'] },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_RESOLVE]');
    expect(res.stderr).toContain('aarch64');
    expect(res.stderr).toContain('p1>=2');
    await expectNoImage(out, cache);
  });

  it('builds an image for an apko config with no packages (apk files only)', async () => {
    const { res, out } = await runSet({ a: { apko: { contents: {} }, module: noDev } });
    expect(res.stderr).not.toContain('error[');
    expect(res.code).toBe(0);
    expect(await listFiles(join(out, 'a', 'latest'))).toContain('index.json');
    expect(await tempLeftovers(out)).toEqual([]);
  });

  it('exits 1 with ERR_ARCH_MISMATCH when index records claim another arch', async () => {
    const { res, out, cache } = await runSet(
      { a: { apko: { contents: { packages: ['p3'] } }, module: noDev } },
      { repositories: [`${server.url}/wrong`] },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_ARCH_MISMATCH]');
    expect(res.stderr).toContain('p3-1.0-r0 is for aarch64');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_UNSAFE_PATH for a paths entry that climbs out of the root', async () => {
    const { res, out, cache } = await runSet({
      a: {
        apko: {
          contents: { packages: ['p2'] },
          paths: [{ path: '../../etc/evil', type: 'directory', permissions: 0o755 }],
        },
        module: noDev,
      },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_UNSAFE_PATH]');
    expect(res.stderr).toContain('../../etc/evil');
    expect(res.stderr).toContain('node: build:a:latest');
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_CONFIG when an apko config includes itself', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { include: 'apko.yaml', contents: { packages: ['p2'] } }, module: noDev },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_CONFIG]');
    expect(res.stderr).toContain('include chain is deeper than');
    expect(res.stderr).toContain('hint: an include probably includes itself');
    await expectNoImage(out, cache);
  });

  it('exits 1 naming the file when an include is missing', async () => {
    const { res, out, cache } = await runSet({
      a: { apko: { include: 'nope.yaml', contents: { packages: ['p2'] } }, module: noDev },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[ERR_(IO|CONFIG)\]/);
    expect(res.stderr).toMatch(/file: .*a\/nope\.yaml/);
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_CONFIG and the known names for an unknown arch', async () => {
    const { res, out, cache } = await runSet(
      { a: { apko: { contents: { packages: ['p2'] } }, module: noDev } },
      { archs: ['sparc'] },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/error\[ERR_CONFIG\]: .*apkgraph\.yaml:\d+:\d+: .*"sparc"/);
    expect(res.stderr).toMatch(/hint: .*x86_64, aarch64/);
    await expectNoImage(out, cache);
  });

  it('exits 1 naming the key file when a keyring entry is missing', async () => {
    const missing = join(tmp, 'no-such-key.rsa.pub');
    const { res, out, cache } = await runSet(
      { a: { apko: { contents: { packages: ['p2'] } }, module: noDev } },
      { keyring: [missing] },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_IO]');
    expect(res.stderr).toContain(missing);
    expect(res.stderr).toMatch(/hint: /);
    await expectNoImage(out, cache);
  });

  it('exits 1 with ERR_SIGNATURE when a keyring file is not a public key', async () => {
    const junk = join(tmp, 'junk.rsa.pub');
    await writeFile(junk, 'this is not a PEM key\n');
    const { res, out, cache } = await runSet(
      { a: { apko: { contents: { packages: ['p2'] } }, module: noDev } },
      { keyring: [junk] },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_SIGNATURE]');
    expect(res.stderr).toContain('junk.rsa.pub');
    expect(res.stderr).toMatch(/hint: .*PUBLIC KEY/);
    await expectNoImage(out, cache);
  });
});
