/**
 * Cancelling piscina tasks through a message port: the task stops on its own and the caller
 * hears of it only afterwards; a task that ignores the request is terminated or left behind,
 * as asked, after the grace period.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCancellable, type Cancellable } from '../src/workers/cancel.js';

interface Input extends Cancellable {
  /** `obey` stops when cancelled; `ignore` runs for `ms` whatever happens. */
  mode: 'obey' | 'ignore';
  ms: number;
  marker: string;
}

// A plain-JS worker: it writes `marker` when it stops, so the test can see the order.
const WORKER = `
import { writeFileSync } from 'node:fs';
export default async function ({ mode, ms, marker, cancel }) {
  const stopped = new Promise((resolve) => cancel?.once('message', resolve));
  const slept = new Promise((resolve) => setTimeout(() => resolve('done'), ms));
  const how = mode === 'obey' ? await Promise.race([slept, stopped.then(() => 'cancelled')]) : await slept;
  writeFileSync(marker, how);
  cancel?.close();
  return how;
}
`;

describe('runCancellable', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-cancel-'));
    file = join(dir, 'worker.mjs');
    await writeFile(file, WORKER);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('asks the task to stop and rejects only once it has', async () => {
    const pool = new Piscina<Input, string>({ filename: file, maxThreads: 1 });
    try {
      const marker = join(dir, 'obey');
      const ac = new AbortController();
      const running = runCancellable(pool, { mode: 'obey', ms: 60_000, marker }, ac.signal, {
        afterGrace: 'terminate',
      });
      setTimeout(() => ac.abort(new Error('stop')), 50);
      await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      // The task had finished (and written its marker) before the caller was told.
      expect(await readFile(marker, 'utf8')).toBe('cancelled');
    } finally {
      await pool.destroy();
    }
  });

  it('terminates a task that ignores the request, after the grace period', async () => {
    const pool = new Piscina<Input, string>({ filename: file, maxThreads: 1 });
    try {
      const marker = join(dir, 'terminated');
      const ac = new AbortController();
      const running = runCancellable(pool, { mode: 'ignore', ms: 60_000, marker }, ac.signal, {
        afterGrace: 'terminate',
        graceMs: 100,
      });
      ac.abort(new Error('stop'));
      await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      await expect(readFile(marker, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await pool.destroy();
    }
  });

  it('leaves a task that ignores the request behind, and its thread keeps serving others', async () => {
    const pool = new Piscina<Input, string>({
      filename: file,
      maxThreads: 1,
      concurrentTasksPerWorker: 4,
      atomics: 'disabled',
    });
    try {
      const ac = new AbortController();
      const stubborn = runCancellable(
        pool,
        { mode: 'ignore', ms: 1_500, marker: join(dir, 'stubborn') },
        ac.signal,
        { afterGrace: 'detach', graceMs: 100 },
      );
      const other = runCancellable(
        pool,
        { mode: 'obey', ms: 200, marker: join(dir, 'other') },
        new AbortController().signal,
        { afterGrace: 'detach' },
      );
      ac.abort(new Error('stop'));
      await expect(stubborn).rejects.toMatchObject({ code: 'ERR_ABORTED' });
      // Given up on, but not killed: the other task on the same thread completes normally.
      await expect(other).resolves.toBe('done');
    } finally {
      await pool.destroy();
    }
  });
});
