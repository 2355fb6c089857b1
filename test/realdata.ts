/**
 * Access to the real public data set that lives beside the project (../shared/realdata).
 *
 * The data is never copied into this repository. A test that needs it and cannot find it
 * fails loudly in CI (CI=true) and is skipped, with the reason in its title, elsewhere.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The real data folder: $APKGRAPH_REALDATA, else ../shared/realdata next to the project. */
export const REALDATA_DIR =
  process.env.APKGRAPH_REALDATA ?? resolve(projectRoot, '..', 'shared', 'realdata');

export const hasRealdata = existsSync(join(REALDATA_DIR, 'MANIFEST.json'));

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** The absolute path of a file under the real data folder. */
export function realdata(...parts: string[]): string {
  return join(REALDATA_DIR, ...parts);
}

/**
 * `describe`, but only when the real data is present. Without it, CI gets one failing test
 * that says where the data was looked for; a developer machine gets a skipped one.
 */
export function describeRealdata(name: string, body: () => void): void {
  if (hasRealdata) {
    describe(name, body);
    return;
  }
  const why = `real data not found at ${REALDATA_DIR} (set APKGRAPH_REALDATA or check out ../shared)`;
  if (inCi) {
    describe(name, () => {
      it('has the real data it needs', () => {
        throw new Error(why);
      });
    });
  } else {
    describe(name, () => {
      it.skip(`SKIPPED: ${why}`, () => {});
    });
  }
}
