/**
 * `apkgraph lock apko.yaml | SET`: resolve every architecture and write apko's lock JSON (v1).
 *
 * Byte ranges and section digests come from the package cache: a cached package gets them, a
 * missing one does not (locking never downloads a package unless `--fetch` asks for it).
 * A module set is locked by the same config nodes `run` uses (lockModuleSet), one file per
 * variant.
 */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CacheLayout, defaultCacheRoot } from '../../cache/layout.js';
import { serveDemoRepo } from '../../demo/serve-demo.js';
import { ApkgraphError } from '../../errors.js';
import { buildGraph } from '../../graph/build-graph.js';
import { selectTargets } from '../../graph/targets.js';
import { archsOf, toApkoLockJson } from '../../lock/apko-lock.js';
import { lookupCachedEntries, sectionsOfEntries, sectionKey } from '../../lock/cache-sections.js';
import { lockImage } from '../../lock/lock-image.js';
import { lockModuleSet } from '../../lock/lock-set.js';
import { loadModuleSet } from '../../moduleset/load.js';
import {
  checkSetMirrors,
  collect,
  parseArchs,
  parseMirrors,
  existingPaths,
} from '../../scheduler/options.js';
import { createRealServices } from '../../scheduler/real-services.js';
import { packageRef } from '../../scheduler/services.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { CliIo } from '../io.js';
import { addSourceOptions, prepareImage, type SourceFlags } from './resolve.js';

interface LockFlags extends SourceFlags {
  output?: string;
  fetch?: boolean;
  target?: string[];
}

/** `apko.yaml` → `apko.lock.json`, next to the config. */
function defaultOutput(configArg: string): string {
  return configArg.replace(/\.ya?ml$/i, '') + '.lock.json';
}

async function isDirectory(path: string): Promise<boolean> {
  const s = await stat(path).catch(() => undefined);
  return s?.isDirectory() === true;
}

/** Adds `lock`. */
export function register(program: Command, io: () => CliIo): void {
  const cmd = program
    .command('lock')
    .description(
      'Resolve an apko config, or every image of a module set, for every architecture and ' +
        "write apko's lock file (JSON v1). Packages already in the cache get the byte ranges " +
        'and digests of their signature, control and data sections. A module set gets one ' +
        'lock per variant at OUT/<module>/<variant>.apko.lock.json; latest-dev extends ' +
        'latest, as in `run`.',
    )
    .argument('<config|set>', 'an apko YAML file, or a module set folder')
    .option(
      '-o, --output <file|dir>',
      'a file for a config (default: <config>.lock.json); ' +
        'a folder for a set (default: the set folder)',
    )
    .option('--fetch', 'download every locked package into the cache first (complete ranges)')
    .option(
      '--target <module[:variant]>',
      'a set: only these images and what they need (repeatable or comma-separated)',
      collect,
    );
  addSourceOptions(cmd).action(async (arg: string, flags: LockFlags) => {
    const cli = io();
    if (await isDirectory(arg)) {
      await lockSet(arg, flags, cli);
      return;
    }
    if (flags.target?.length) {
      throw new ApkgraphError('ERR_USAGE', '--target applies to a module set, not a config', {
        hint: 'pass a module set folder, or drop --target',
      });
    }
    const image = await prepareImage(arg, flags, cli.logger);
    const lock = lockImage({
      config: image.config,
      universes: image.universes,
      logger: cli.logger,
    });
    const archs = archsOf(lock);
    const cacheDir = resolve(flags.cacheDir ?? defaultCacheRoot());
    if (flags.fetch) {
      const services = createRealServices({
        cacheDir,
        mirrors: parseMirrors(flags.mirror ?? []),
        offline: flags.offline === true,
        fetchInProcess: true,
        buildInProcess: true,
        logger: cli.logger,
      });
      try {
        await services.cache.ensureAll(
          archs.flatMap((a) => a.packages.map((p) => packageRef(p, a.arch))),
        );
      } finally {
        await services.close();
      }
    }
    const entries = await lookupCachedEntries(new CacheLayout(cacheDir), archs);
    const sections = await sectionsOfEntries(entries);
    const json = toApkoLockJson({
      archs,
      configName: arg,
      configInput: { config: image.config, archs: image.archs, repositories: image.repositories },
      repositories: image.repositories,
      runtimeRepositories: image.config.contents?.runtime_repositories ?? [],
      keyring: image.keys,
      sectionsFor: (p, arch) => sections.get(sectionKey(arch, p.record.name)),
    });
    const output = flags.output ?? defaultOutput(arg);
    await writeFileAtomic(output, `${JSON.stringify(json, null, 2)}\n`);
    cli.logger.info(`wrote ${output}`, {
      packages: json.contents.packages.length,
      withRanges: entries.size,
      archs: image.archs.join(','),
    });
  });
}

async function lockSet(setDir: string, flags: LockFlags, cli: CliIo): Promise<void> {
  if (flags.repository?.length) {
    throw new ApkgraphError('ERR_USAGE', '--repository applies to a config, not a module set', {
      hint: "a set's repositories come from apkgraph.yaml and each apko.yaml; use --mirror",
    });
  }
  const set = await loadModuleSet(setDir);
  const graph = selectTargets(buildGraph(set), flags.target ?? []);
  const overrides = {
    archs: parseArchs(flags.arch ?? []),
    keyring: await existingPaths('--keyring', flags.keyring ?? []),
  };
  const cacheDir = resolve(flags.cacheDir ?? defaultCacheRoot());
  const flagMirrors = parseMirrors(flags.mirror ?? []);
  checkSetMirrors(set, flagMirrors);
  const mirrors = { ...set.settings.mirrors, ...flagMirrors };
  const server = await serveDemoRepo(set, cacheDir, mirrors, { logger: cli.logger });
  const services = createRealServices({
    cacheDir,
    mirrors,
    offline: flags.offline === true,
    // Worker threads only pay off when there is something to download.
    fetchInProcess: flags.fetch !== true,
    buildInProcess: true,
    logger: cli.logger,
  });
  try {
    const written = await lockModuleSet(set, graph, {
      services,
      layout: services.cache.layout,
      outRoot: resolve(flags.output ?? setDir),
      overrides,
      fetch: flags.fetch === true,
    });
    for (const w of written) {
      cli.out(`${w.path}\t${w.packages} packages, ${w.withRanges} with byte ranges\n`);
    }
  } finally {
    await services.close();
    await server?.close();
  }
}
