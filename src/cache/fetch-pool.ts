/**
 * Runs fetch tasks on worker threads (piscina), or in the calling thread.
 *
 * Splitting and hashing a package is CPU work (gunzip of the control member, SHA-256 of the
 * data), so a big prefetch spreads it over threads. The main thread keeps the single-flight map
 * and the locks, so a package is handed to at most one worker at a time. Each worker keeps its
 * own HTTP client (connection pools do not cross threads), and runs several fetches at once.
 *
 * Cancelling a running task asks it to stop (see src/workers/cancel.ts) and waits until it has;
 * a stopping task removes its own temporary files. When a thread dies instead, the temporary
 * files its task left are removed here.
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
  readonly #running = new Set<Promise<void>>();
  readonly #cancelledDirs = new Set<string>();

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
    const running = this.#run(task, options.signal);
    // close() waits for these: a cancelled download is still removing its files.
    const settled = running.then(
      () => {},
      () => {},
    );
    this.#running.add(settled);
    void settled.then(() => this.#running.delete(settled));
    return running;
  }

  async #run(task: FetchTask, signal: AbortSignal | undefined): Promise<FetchResult> {
    if (this.#client)
      return runFetchTask(task, { client: this.#client, ...(signal ? { signal } : {}) });
    let out: FetchWorkerOutput;
    try {
      out = await runCancellable(this.#pool!, { task, http: this.#http }, signal, {
        afterGrace: 'detach',
      });
    } catch (err) {
      // Cancelled: the task removed its own files as it stopped, or, given up on after the
      // grace period, is still running and will; removing them under it would break it. If
      // the pool closes first, close() removes them.
      if (signal?.aborted) {
        this.#cancelledDirs.add(task.dir);
        throw new AbortError(signal.reason);
      }
      // The thread died: nothing of the task's cleaned up after it.
      await removeOwnTempFiles(task.dir);
      throw err;
    }
    if (!out.ok) {
      await removeOwnTempFiles(task.dir);
      throw fromErrorData(out.error);
    }
    return out.result;
  }

  /** Waits for the fetches in progress to settle, then stops the threads and the client. */
  async close(): Promise<void> {
    await Promise.all(this.#running);
    if (this.#ownsClient) await this.#client?.close();
    await this.#pool?.destroy();
    // A cancelled task that was still running when its thread stopped left its files behind.
    await Promise.all([...this.#cancelledDirs].map((dir) => removeOwnTempFiles(dir)));
    this.#cancelledDirs.clear();
  }
}
