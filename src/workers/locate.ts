/**
 * Where the compiled worker entry points are.
 *
 * Worker threads load plain JavaScript, so pools always start the compiled files in dist/.
 * When apkgraph runs from its TypeScript sources (tests), the files come from the build that
 * `npm test` runs first.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

export type WorkerName = 'fetch' | 'build';

export function workerFile(name: WorkerName): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = `${name}.worker.js`;
  const candidates = [join(here, file), resolve(here, '../../dist/workers', file)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new InternalError(`worker ${file} not found (looked in ${candidates.join(', ')})`, {
      hint: 'run "npm run build" to compile the workers',
    });
  }
  return found;
}
