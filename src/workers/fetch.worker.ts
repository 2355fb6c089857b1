/**
 * The fetch worker: downloads, splits, verifies and publishes one package per task. See
 * src/cache/fetch-pool.ts for the contract.
 */
import { toErrorData } from '../errors.js';
import type { FetchWorkerInput, FetchWorkerOutput } from '../cache/fetch-pool.js';
import { runFetchTask } from '../cache/fetch-task.js';
import { HttpClient } from '../repo/http-client.js';

// One client per thread, created on the first task, so connections are reused across tasks.
let client: HttpClient | undefined;
let clientKey = '';

export default async function fetchWorker(input: FetchWorkerInput): Promise<FetchWorkerOutput> {
  const key = JSON.stringify(input.http);
  if (!client || key !== clientKey) {
    await client?.close();
    client = new HttpClient(input.http);
    clientKey = key;
  }
  try {
    return { ok: true, result: await runFetchTask(input.task, { client }) };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}
