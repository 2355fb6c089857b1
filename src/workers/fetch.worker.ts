/**
 * The fetch worker: downloads, splits, verifies and publishes one package per task. See
 * src/cache/fetch-pool.ts for the contract.
 */
import { toErrorData } from '../errors.js';
import type { FetchWorkerInput, FetchWorkerOutput } from '../cache/fetch-pool.js';
import { runFetchTask } from '../cache/fetch-task.js';
import { HttpClient } from '../repo/http-client.js';
import { cancelSignalOf } from './cancel.js';

// One client per thread and HTTP settings, created on first use, so connections are reused
// across tasks. Several tasks run at once, so a client is never closed under another's feet.
const clients = new Map<string, HttpClient>();

export default async function fetchWorker(input: FetchWorkerInput): Promise<FetchWorkerOutput> {
  const key = JSON.stringify(input.http);
  let client = clients.get(key);
  if (!client) {
    client = new HttpClient(input.http);
    clients.set(key, client);
  }
  const cancel = cancelSignalOf(input.cancel);
  try {
    return { ok: true, result: await runFetchTask(input.task, { client, signal: cancel.signal }) };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  } finally {
    cancel.done();
  }
}
