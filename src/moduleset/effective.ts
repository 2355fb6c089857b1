/**
 * What one config node resolves: the module's apko config merged with the set's settings and
 * the command-line overrides. Merging follows the apko provider: repositories, keyring and
 * packages are sets (first occurrence kept, set-wide entries first).
 */
import { ApkgraphError } from '../errors.js';
import type { Variant } from '../graph/build-graph.js';
import type { ModuleDef, ModuleSet } from './types.js';

/** Command-line overrides that apply to every config. */
export interface ConfigOverrides {
  /** Only these archs (apk names); configs without any of them are an error. */
  archs?: readonly string[];
  /** Extra trusted keys for every config. */
  keyring?: readonly string[];
}

/** The inputs of one config node. */
export interface EffectiveConfig {
  module: string;
  variant: Variant;
  archs: string[];
  /** Repositories resolution reads, in order (repositories, then build_repositories). */
  repositories: string[];
  /** Repositories written into the image (repositories, then runtime_repositories). */
  runtimeRepositories: string[];
  keyring: string[];
  /**
   * latest: the set's packages and the module's. latest-dev: what it adds to latest's lock
   * (the set's dev_packages and the module's extra_dev_packages).
   */
  world: string[];
}

const dedupe = (xs: Iterable<string>): string[] => [...new Set(xs)];

/** The default when neither the config nor the set names an arch. */
export const DEFAULT_ARCHS: readonly string[] = ['x86_64'];

/** Computes the inputs of config(module, variant). */
export function effectiveConfig(
  set: ModuleSet,
  module: ModuleDef,
  variant: Variant,
  overrides: ConfigOverrides = {},
): EffectiveConfig {
  const own =
    module.apko.archs.length > 0
      ? module.apko.archs
      : set.settings.archs.length > 0
        ? set.settings.archs
        : DEFAULT_ARCHS;
  let archs = [...own];
  if (overrides.archs && overrides.archs.length > 0) {
    archs = archs.filter((a) => overrides.archs?.includes(a));
    if (archs.length === 0) {
      throw new ApkgraphError(
        'ERR_USAGE',
        `module ${module.name} builds ${own.join(', ')}, ` +
          `none of the archs asked for (${overrides.archs.join(', ')})`,
        { path: module.apkoPath, hint: 'pick an --arch the module builds, or --target others' },
      );
    }
  }
  const world =
    variant === 'latest'
      ? dedupe([...set.settings.packages, ...module.apko.packages])
      : dedupe([...set.settings.devPackages, ...module.settings.extraDevPackages]);
  return {
    module: module.name,
    variant,
    archs,
    repositories: dedupe([
      ...set.settings.repositories,
      ...module.apko.repositories,
      ...module.apko.buildRepositories,
    ]),
    runtimeRepositories: dedupe([
      ...set.settings.repositories,
      ...module.apko.repositories,
      ...module.apko.runtimeRepositories,
    ]),
    keyring: dedupe([
      ...set.settings.keyring,
      ...module.apko.keyring,
      ...(overrides.keyring ?? []),
    ]),
    world,
  };
}

/** `name=version` → [name, version]; anything else (constraints, ranges, names) → undefined. */
export function parsePin(entry: string): [string, string] | undefined {
  const m = /^([^=<>~!@\s]+)=([^=<>~\s]+)$/.exec(entry);
  return m ? [m[1] as string, m[2] as string] : undefined;
}
