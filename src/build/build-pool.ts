/**
 * Runs image builds on worker threads (piscina), or in the calling thread.
 *
 * A build is CPU-bound (gunzip of every package, SHA-1 of every file, gzip of the layer), so
 * each arch of each image is one task. Every task gets its own scratch directory inside the
 * blob directory for its spool and its half-written layer; finished blobs are renamed out of
 * it under their digests.
 *
 * Cancelling a running task tells its thread through a message port; the build stops at its
 * next entry or chunk, and only once the thread has let go is the scratch directory removed.
 * Terminating the thread at once would be quicker, but file operations it had already started
 * on libuv's pool still complete afterwards and could leave a half file behind. A thread that
 * does not stop within a grace period is terminated all the same.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { fromErrorData, throwIfAborted, type ErrorData } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { TEMP_PREFIX } from '../util/atomic.js';
import { runCancellable, type Cancellable } from '../workers/cancel.js';
import { workerFile } from '../workers/locate.js';
import { buildArchImage } from './build-arch-image.js';
import type { ArchImageResult, BuildRequest } from './types.js';

/** What the build worker receives. */
export interface BuildWorkerInput extends Cancellable {
  request: BuildRequest;
  blobsDir: string;
  scratchDir: string;
}

/** What the build worker answers. */
export type BuildWorkerOutput =
  { ok: true; result: ArchImageResult } | { ok: false; error: ErrorData };

/** Anything that runs builds; the scheduler depends on this, tests may fake it. */
export interface BuildRunner {
  run(
    request: BuildRequest,
    options: { blobsDir: string; signal?: AbortSignal },
  ): Promise<ArchImageResult>;
  close(): Promise<void>;
}

/** Options of {@link BuildPool}. */
export interface BuildPoolOptions {
  /** Worker threads. Default: available parallelism, at most 8. */
  maxThreads?: number;
  /** Run in the calling thread with no workers (tests, tiny runs). */
  inProcess?: boolean;
  /** In-process mode only: where build details are logged. */
  logger?: Logger;
}

/** The default {@link BuildRunner}. */
export class BuildPool implements BuildRunner {
  readonly #pool: Piscina<BuildWorkerInput, BuildWorkerOutput> | undefined;
  readonly #logger: Logger | undefined;

  constructor(options: BuildPoolOptions = {}) {
    const maxThreads = options.maxThreads ?? Math.min(8, availableParallelism());
    if (!Number.isInteger(maxThreads) || maxThreads < 1) {
      throw new RangeError(`maxThreads must be a positive integer, got ${maxThreads}`);
    }
    this.#logger = options.logger;
    if (!options.inProcess) {
      this.#pool = new Piscina({
        filename: workerFile('build'),
        maxThreads,
        minThreads: 0,
        idleTimeout: 5_000,
      });
    }
  }

  /** Builds one arch's image into `blobsDir`; rejects with an AbortError when `signal` fires. */
  async run(
    request: BuildRequest,
    options: { blobsDir: string; signal?: AbortSignal },
  ): Promise<ArchImageResult> {
    const { blobsDir, signal } = options;
    throwIfAborted(signal);
    const scratchDir = join(blobsDir, `${TEMP_PREFIX}build-${randomBytes(6).toString('hex')}`);
    try {
      if (!this.#pool) {
        return await buildArchImage(request, {
          blobsDir,
          scratchDir,
          ...(this.#logger ? { logger: this.#logger } : {}),
          ...(signal ? { signal } : {}),
        });
      }
      const out = await runCancellable(this.#pool, { request, blobsDir, scratchDir }, signal, {
        afterGrace: 'terminate',
      });
      if (!out.ok) throw fromErrorData(out.error);
      return out.result;
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.#pool?.destroy();
  }
}
