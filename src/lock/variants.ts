/**
 * The two variants of a module: `latest` from its config plus the set's base packages, and
 * `latest-dev` as an explicit extension of latest's lock (the publisher's "locked original +
 * dev tools"): the dev solve keeps every version latest chose, per architecture, and only adds
 * the dev packages and their closure.
 */
import type { ApkoConfig } from '../config/apko.js';
import type { Logger } from '../log/logger.js';
import type { Universe } from '../resolve/universe.js';
import { lockImage, type ImageLock } from './lock-image.js';

export interface LockVariantsInput {
  config: ApkoConfig;
  universes: ReadonlyMap<string, Universe>;
  /** Packages every image of the set adds (apkgraph.yaml `packages`). */
  basePackages?: readonly string[];
  /** Packages the dev variant adds; undefined when the module has no dev variant. */
  devPackages?: readonly string[];
  logger?: Logger;
  signal?: AbortSignal;
}

/** Locks latest for a module. */
export function lockLatest(input: LockVariantsInput): ImageLock {
  return lockImage({
    config: input.config,
    universes: input.universes,
    extraPackages: input.basePackages ?? [],
    ...(input.logger ? { logger: input.logger } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
}

/** Locks latest-dev from latest's lock: latest's world plus `devPackages`, latest kept. */
export function lockDev(latest: ImageLock, input: LockVariantsInput): ImageLock {
  const lockedByArch = new Map<string, Map<string, string>>();
  for (const [arch, res] of latest.resolutions) {
    lockedByArch.set(arch, new Map(res.packages.map((p) => [p.name, p.version])));
  }
  return lockImage({
    config: { ...input.config, contents: { ...input.config.contents, packages: latest.world } },
    universes: input.universes,
    extraPackages: input.devPackages ?? [],
    lockedByArch,
    ...(input.logger ? { logger: input.logger } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
}

/** Locks latest, then latest-dev when the module has one. */
export function lockVariants(input: LockVariantsInput): { latest: ImageLock; dev?: ImageLock } {
  const latest = lockLatest(input);
  if (input.devPackages === undefined) return { latest };
  return { latest, dev: lockDev(latest, input) };
}
