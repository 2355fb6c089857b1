/**
 * Runs fetch tasks on worker threads (piscina), or in the calling thread.
 *
 * Splitting and hashing a package is CPU work (gunzip of the control member, SHA-256 of the
 * data), so a big prefetch spreads it over threads. The main thread keeps the single-flight map
 * and the locks, so a package is handed to at most one worker at a time. Each worker keeps its
 * own HTTP client (connection pools do not cross threads), and runs several fetches at once.
 *
 * Cancelling a running task asks it to stop (see src/workers/cancel.ts) and waits until it has;
 * the task only ever wrote temporary files, and any it left are removed here afterwards.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { AbortError, fromErrorData, type ErrorData } from '../errors.js';
import { HttpClient, type HttpClientOptions } from '../repo/http-client.js';
import { runCancellable, type Cancellable } from '../workers/cancel.js';
import { workerFile } from '../workers/locate.js';
import {
  removeOwnTempFiles,
  runFetchTask,
  type FetchResult,
  type FetchTask,
} from './fetch-task.js';

/** HTTP settings that can cross to a worker (no logger, no dispatcher). */
export type PlainHttpOptions = Omit<HttpClientOptions, 'logger' | 'dispatcher' | 'random'>;

/** What the fetch worker receives. */
export interface FetchWorkerInput extends Cancellable {
  task: FetchTask;
  http: PlainHttpOptions;
}

/** What the fetch worker answers: errors travel as data so their codes survive. */
export type FetchWorkerOutput = { ok: true; result: FetchResult } | { ok: false; error: ErrorData };

/** Anything that can run fetch tasks; the cache depends on this, tests may fake it. */
export interface FetchRunner {
  run(task: FetchTask, options?: { signal?: AbortSignal }): Promise<FetchResult>;
  close(): Promise<void>;
}

export interface FetchPoolOptions {
  /** Worker threads. Default: available parallelism, at most 8. */
  maxThreads?: number;
  /**
   * Fetches one thread runs at once. A fetch mostly waits on the network, so one per thread
   * would leave the threads idle and the downloads in single file. Default 8.
   */
  tasksPerThread?: number;
  /** Run in the calling thread with no workers (tests, tiny runs). */
  inProcess?: boolean;
  http?: PlainHttpOptions;
  /** In-process mode only: use this client (shares its connection pool and logger). */
  client?: HttpClient;
}

/** The default {@link FetchRunner}. */
export class FetchPool implements FetchRunner {
  readonly #pool: Piscina<FetchWorkerInput, FetchWorkerOutput> | undefined;
  readonly #client: HttpClient | undefined;
  readonly #ownsClient: boolean;
  readonly #http: PlainHttpOptions;

  constructor(options: FetchPoolOptions = {}) {
    this.#http = options.http ?? {};
    const maxThreads = options.maxThreads ?? Math.min(8, availableParallelism());
    if (!Number.isInteger(maxThreads) || maxThreads < 1) {
      throw new RangeError(`maxThreads must be a positive integer, got ${maxThreads}`);
    }
    if (options.inProcess) {
      this.#client = options.client ?? new HttpClient(this.#http);
      this.#ownsClient = options.client === undefined;
    } else {
      this.#ownsClient = false;
      const tasksPerThread = options.tasksPerThread ?? 8;
      if (!Number.isInteger(tasksPerThread) || tasksPerThread < 1) {
        throw new RangeError(`tasksPerThread must be a positive integer, got ${tasksPerThread}`);
      }
      this.#pool = new Piscina({
        filename: workerFile('fetch'),
        maxThreads,
        minThreads: 0,
        idleTimeout: 5_000,
        concurrentTasksPerWorker: tasksPerThread,
        // By default an idle piscina thread blocks in Atomics.wait until the next task comes,
        // which freezes the other fetches it is running (and its keep-alive connections).
        atomics: 'disabled',
      });
    }
  }

  async run(task: FetchTask, options: { signal?: AbortSignal } = {}): Promise<FetchResult> {
    const { signal } = options;
    if (this.#client)
      return runFetchTask(task, { client: this.#client, ...(signal ? { signal } : {}) });
    let out: FetchWorkerOutput;
    try {
      out = await runCancellable(this.#pool!, { task, http: this.#http }, signal, {
        afterGrace: 'detach',
      });
    } catch (err) {
      await removeOwnTempFiles(task.dir);
      if (signal?.aborted) throw new AbortError(signal.reason);
      throw err;
    }
    if (!out.ok) {
      await removeOwnTempFiles(task.dir);
      throw fromErrorData(out.error);
    }
    return out.result;
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#client?.close();
    await this.#pool?.destroy();
  }
}
