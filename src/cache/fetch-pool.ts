/**
 * Runs fetch tasks on worker threads (piscina), or in the calling thread.
 *
 * Splitting and hashing a package is CPU work (gunzip of the control member, SHA-256 of the
 * data), so a big prefetch spreads it over threads. The main thread keeps the single-flight map
 * and the locks, so a package is handed to at most one worker at a time. Each worker keeps its
 * own HTTP client (connection pools do not cross threads).
 *
 * Cancelling a running task terminates its worker thread. The task only ever wrote temporary
 * files, and those are removed here afterwards, so a killed task leaves nothing behind.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { AbortError, fromErrorData, type ErrorData } from '../errors.js';
import { HttpClient, type HttpClientOptions } from '../repo/http-client.js';
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
export interface FetchWorkerInput {
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
      this.#pool = new Piscina({
        filename: workerFile('fetch'),
        maxThreads,
        minThreads: 0,
        idleTimeout: 5_000,
      });
    }
  }

  async run(task: FetchTask, options: { signal?: AbortSignal } = {}): Promise<FetchResult> {
    const { signal } = options;
    if (this.#client)
      return runFetchTask(task, { client: this.#client, ...(signal ? { signal } : {}) });
    let out: FetchWorkerOutput;
    try {
      out = await this.#pool!.run({ task, http: this.#http }, signal ? { signal } : {});
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
