/**
 * The build worker: builds one architecture's image per task. See src/build/build-pool.ts for
 * the contract. Errors come back as data so their codes and hints survive the thread boundary.
 */
import { buildArchImage } from '../build/build-arch-image.js';
import type { BuildWorkerInput, BuildWorkerOutput } from '../build/build-pool.js';
import { toErrorData } from '../errors.js';
import { cancelSignalOf } from './cancel.js';

export default async function buildWorker(input: BuildWorkerInput): Promise<BuildWorkerOutput> {
  const cancel = cancelSignalOf(input.cancel);
  try {
    const result = await buildArchImage(input.request, {
      blobsDir: input.blobsDir,
      scratchDir: input.scratchDir,
      signal: cancel.signal,
    });
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  } finally {
    cancel.done();
  }
}
