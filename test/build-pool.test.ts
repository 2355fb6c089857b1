/**
 * The build pool on worker threads and in-process: same digests either way, error codes that
 * survive the thread boundary, and cancellation that leaves no temporary files behind.
 * Worker mode loads dist/workers/build.worker.js: run `npm run build` first (`npm test` does).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuildPool } from '../src/build/build-pool.js';
import { ApkgraphError } from '../src/errors.js';
import { fixtureRequest, tempDir, type FixturePackage } from './build-fixtures.js';

const pkgs: FixturePackage[] = [
  { name: 'one', files: [{ name: 'usr/bin/one', mode: 0o755, data: 'one' }] },
  { name: 'two', files: [{ name: 'usr/share/two/data', data: Buffer.alloc(300_000, 7) }] },
];

describe('BuildPool', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let workers: BuildPool;
  const inProcess = new BuildPool({ inProcess: true });
  beforeAll(() => {
    workers = new BuildPool({ maxThreads: 1 });
  });
  afterAll(async () => {
    await workers.close();
    await inProcess.close();
  });
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('build-pool'));
  });
  afterEach(async () => cleanup());

  it('builds the same image on a worker thread as in-process', async () => {
    const req = await fixtureRequest(dir, pkgs);
    const blobsDir = join(dir, 'blobs');
    const a = await workers.run(req, { blobsDir });
    const b = await inProcess.run(req, { blobsDir });
    expect(a.manifestDigest).toBe(b.manifestDigest);
    expect(a.layerDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await readdir(blobsDir)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('passes error codes from the worker thread through', async () => {
    const req = await fixtureRequest(dir, [
      { name: 'a', files: [{ name: 'f', data: '1' }] },
      { name: 'b', files: [{ name: 'f', data: '2' }] },
    ]);
    const err = await workers.run(req, { blobsDir: join(dir, 'blobs') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApkgraphError);
    expect((err as ApkgraphError).code).toBe('ERR_FILE_CONFLICT');
  });

  it('rejects with ERR_ABORTED and leaves no temporary files when cancelled', async () => {
    const req = await fixtureRequest(dir, pkgs);
    const blobsDir = join(dir, 'blobs');
    for (const pool of [workers, inProcess]) {
      const ac = new AbortController();
      const running = pool.run(req, { blobsDir, signal: ac.signal });
      ac.abort('user pressed ^C');
      const err = await running.catch((e: unknown) => e);
      expect((err as ApkgraphError).code).toBe('ERR_ABORTED');
      const left = await readdir(blobsDir).catch(() => []);
      expect(left.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    }
  });
});
