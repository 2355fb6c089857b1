/**
 * The threads that generate synthetic packages. gzip and hashing are CPU-bound and synchronous,
 * so a mirror of hundreds of MB is generated on every core through piscina; a single job runs
 * inline, which also lets tests work from the TypeScript sources without a build.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { fromErrorData, InternalError, throwIfAborted } from '../errors.js';
import { generatePackage, type GenerateResult, type GenerateTask } from './generate-package.js';
import type { SynthOutcome } from './synth.worker.js';

/** Runs generate tasks; close() when done. */
export interface SynthPool {
  run(task: GenerateTask, signal?: AbortSignal): Promise<GenerateResult>;
  close(): Promise<void>;
}

/** The compiled worker: next to this module when it runs from dist/, else in dist/synth/. */
function synthWorkerFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, 'synth.worker.js'),
    resolve(here, '../../dist/synth/synth.worker.js'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new InternalError(
      `worker synth.worker.js not found (looked in ${candidates.join(', ')})`,
      {
        hint: 'run "npm run build" to compile the workers',
      },
    );
  }
  return found;
}

/** A pool of `threads` generators; with one thread, tasks run in the calling thread. */
export function createSynthPool(threads: number): SynthPool {
  if (threads <= 1) {
    return {
      run: async (task, signal) => {
        throwIfAborted(signal);
        return generatePackage(task);
      },
      close: async () => {},
    };
  }
  const pool = new Piscina<GenerateTask, SynthOutcome>({
    filename: synthWorkerFile(),
    minThreads: threads,
    maxThreads: threads,
  });
  return {
    run: async (task, signal) => {
      const outcome = await pool.run(task, signal ? { signal } : {});
      if (!outcome.ok) throw fromErrorData(outcome.error);
      return outcome.value;
    },
    close: () => pool.destroy(),
  };
}
