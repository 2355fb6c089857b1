/**
 * Writes a module set from plain objects: used by tests and benchmarks to build sets in code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A module set as data; `settings` and each module's `module` are written only when given. */
export interface ModuleSetSpec {
  settings?: Record<string, unknown> | string;
  modules: Record<
    string,
    { apko: Record<string, unknown> | string; module?: Record<string, unknown> | string }
  >;
}

const text = (v: Record<string, unknown> | string): string =>
  typeof v === 'string' ? v : stringify(v);

/** Writes `spec` under `dir` (created if missing). */
export async function writeModuleSet(dir: string, spec: ModuleSetSpec): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (spec.settings !== undefined) await writeFile(join(dir, 'apkgraph.yaml'), text(spec.settings));
  for (const [name, m] of Object.entries(spec.modules)) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'apko.yaml'), text(m.apko));
    if (m.module !== undefined) await writeFile(join(dir, name, 'module.yaml'), text(m.module));
  }
}
