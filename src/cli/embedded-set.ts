/**
 * The module set shipped with apkgraph (`modules/` at the package root), which `run`, `plan`
 * and `bench` use when no set is given, wherever they are started from.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The absolute path of the embedded set: two levels up from this file, in src/ or dist/. */
export function embeddedSetDir(): string {
  return fileURLToPath(new URL('../../modules', import.meta.url));
}

/** The set folder to use: `given`, else the embedded set. */
export function setDirOrEmbedded(given: string | undefined): string {
  return given ?? embeddedSetDir();
}

/** How the embedded set is named in help texts: relative to the current folder if short. */
export function embeddedSetLabel(): string {
  const abs = embeddedSetDir();
  const rel = relative(process.cwd(), abs);
  const shown = rel === '' || rel.startsWith('..') ? abs : `./${rel}`;
  return existsSync(abs) ? shown : `${shown} (missing)`;
}
