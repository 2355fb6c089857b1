/**
 * What the graph and the scheduler need from a module's apko.yaml: the package list, the archs,
 * the repositories and the keyring, plus the whole parsed config for the image.
 *
 * The config is parsed by the strict apko parser (src/config): unknown fields and wrong types
 * are ERR_CONFIG errors at `file:line:col`, as apko rejects them too. A deprecated `include`
 * is followed, so a module may still share a base config file.
 */
import { loadApkoConfig, parseApkoConfig, type ApkoConfig } from '../config/apko.js';

/** The parts of an apko image configuration that drive resolution. */
export interface ApkoView {
  /** `contents.packages`, as written (constraints or `name=version` pins). */
  packages: string[];
  /** `archs`, normalised to apk names; empty when the config names none. */
  archs: string[];
  repositories: string[];
  buildRepositories: string[];
  runtimeRepositories: string[];
  keyring: string[];
  /** The whole config with apko's field names, for the image spec of build nodes. */
  raw: Record<string, unknown>;
}

/** The view of a parsed config. */
export function viewOf(config: ApkoConfig): ApkoView {
  const c = config.contents ?? {};
  return {
    packages: c.packages ?? [],
    archs: [...new Set(config.archs ?? [])],
    repositories: c.repositories ?? [],
    buildRepositories: c.build_repositories ?? [],
    runtimeRepositories: c.runtime_repositories ?? [],
    keyring: c.keyring ?? [],
    raw: config as Record<string, unknown>,
  };
}

/** Reads an apko.yaml (`text` read from `path`) into an {@link ApkoView}. */
export async function readApkoView(text: string, path: string): Promise<ApkoView> {
  const config = parseApkoConfig(text, path);
  return viewOf(config.include === undefined ? config : await loadApkoConfig(path));
}
