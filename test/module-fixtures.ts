/**
 * Module definitions for graph and scheduler tests, made in code: no apko packages, no
 * repositories, only a name, the dev variant switch and `depends_on` entries with positions.
 */
import type { ModuleDef } from '../src/moduleset/types.js';

/** Where a `depends_on` entry is in its module.yaml. */
export type DepPosition = (i: number) => { line: number; column: number };

/** One entry per line from line 2, column 5, as a block list under `depends_on:` would be. */
const blockList: DepPosition = (i) => ({ line: 2 + i, column: 5 });

/**
 * A module `name` at `/set/<name>` that depends on `deps` (the i-th declared at `depAt(i)` in
 * `/set/<name>/module.yaml`), with a `latest-dev` variant unless `dev` is false.
 */
export function moduleDef(
  name: string,
  deps: string[] = [],
  dev = true,
  depAt: DepPosition = blockList,
): ModuleDef {
  return {
    name,
    dir: `/set/${name}`,
    apkoPath: `/set/${name}/apko.yaml`,
    apko: {
      packages: [],
      archs: [],
      repositories: [],
      buildRepositories: [],
      runtimeRepositories: [],
      keyring: [],
      raw: {},
    },
    settings: {
      dev,
      extraDevPackages: [],
      dependsOn: deps.map((d, i) => ({
        module: d,
        pos: { path: `/set/${name}/module.yaml`, ...depAt(i) },
      })),
    },
  };
}
