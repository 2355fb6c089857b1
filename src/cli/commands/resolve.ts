/**
 * `apkgraph resolve apko.yaml`: the packages an image gets, in install order, per architecture.
 * Also the shared preparation of `lock`: config, architectures, repositories and trust.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { loadKeyring, type Keyring } from '../../apk/keys.js';
import { toApkArch } from '../../apk/arch.js';
import { loadApkoConfig, type ApkoConfig } from '../../config/apko.js';
import { ApkgraphError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { isRemote } from '../../repo/location.js';
import { defaultCacheRoot } from '../../cache/layout.js';
import { RepositoryClient } from '../../repo/repository-client.js';
import { clientIndexSource, localIndexSource, loadUniverse } from '../../resolve/index-source.js';
import {
  checkMirrorsApply,
  parseArchs,
  parseMirrors,
  existingPaths,
} from '../../scheduler/options.js';
import { resolve } from '../../resolve/resolve.js';
import type { Universe } from '../../resolve/universe.js';
import type { CliIo } from '../io.js';

/** Flags shared by `resolve` and `lock`. */
export interface SourceFlags {
  arch?: string[];
  repository?: string[];
  keyring?: string[];
  mirror?: string[];
  cacheDir?: string;
  offline?: boolean;
}

/** A loaded config with the universes of its architectures. */
export interface PreparedImage {
  configPath: string;
  config: ApkoConfig;
  archs: string[];
  repositories: string[];
  /** Key URLs or paths as written, with their text when read from disk. */
  keys: Array<{ url: string; content?: string }>;
  universes: Map<string, Universe>;
}

function collectRaw(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}

/** Adds the `--arch`, `--repository` and `--keyring` options. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--arch <arch>', 'architectures to resolve (repeatable or comma-separated)', collect)
    .option(
      '--repository <url|dir>',
      'use these repositories instead of the config\'s (repeatable; "@tag URL" pins)',
      collect,
    )
    .option(
      '--keyring <file|dir>',
      'trusted keys (repeatable); indexes must be signed by one',
      collect,
    )
    .option('--mirror <from=to>', 'fetch repository FROM from TO (repeatable)', collectRaw)
    .option('--cache-dir <dir>', 'the package cache (default: ~/.cache/apkgraph)')
    .option('--offline', 'use cached indexes only');
}

/**
 * Loads the config and every architecture's indexes. Repositories come from `--repository` or
 * the config (plus build_repositories); keys from `--keyring` or the config's local key files.
 * Without any key, unsigned indexes are accepted and a warning says so.
 */
export async function prepareImage(
  configArg: string,
  flags: SourceFlags,
  logger: Logger,
  signal?: AbortSignal,
): Promise<PreparedImage> {
  const configPath = resolvePath(configArg);
  const config = await loadApkoConfig(configPath);
  // A bad --arch is a usage error (exit 2); a bad arch in the config is a config error.
  const archs = flags.arch?.length
    ? parseArchs(flags.arch)
    : (config.archs ?? ['x86_64']).map(toApkArch);
  const here = dirname(configPath);
  const local = (p: string): string => (isAbsolute(p) ? p : resolvePath(here, p));
  const repositories = flags.repository?.length
    ? flags.repository
    : [
        ...(config.contents?.repositories ?? []),
        ...(config.contents?.build_repositories ?? []),
      ].map((r) => (isRemote(r) || r.startsWith('@') || r.startsWith('file:') ? r : local(r)));
  if (repositories.length === 0) {
    throw new ApkgraphError('ERR_CONFIG', `${configArg} names no repository`, {
      path: configPath,
      hint:
        'add contents.repositories or pass --repository; for a module of a set, whose ' +
        'repositories come from apkgraph.yaml, use "apkgraph lock SET --target MODULE"',
    });
  }

  const mirrors = parseMirrors(flags.mirror ?? []);
  checkMirrorsApply(mirrors, repositories, config.contents?.keyring ?? []);

  const keys: PreparedImage['keys'] = [];
  let keyring: Keyring | undefined;
  if (flags.keyring?.length) {
    keyring = await loadKeyring(await existingPaths('--keyring', flags.keyring));
    for (const k of keyring.keys) keys.push({ url: k.name, content: k.pem });
  } else {
    const files = (config.contents?.keyring ?? []).filter((k) => !isRemote(k));
    for (const k of config.contents?.keyring ?? []) {
      keys.push(isRemote(k) ? { url: k } : { url: k, content: await readFile(local(k), 'utf8') });
    }
    if (files.length > 0) keyring = await loadKeyring(files.map(local));
  }
  if (!keyring) {
    logger.warn('no local keyring: index signatures are not checked (pass --keyring)');
  }
  const trust = keyring ? { keyring } : { allowUnsigned: true };
  const universes = new Map<string, Universe>();
  const client = repositories.some(isRemote)
    ? new RepositoryClient({
        cacheRoot: flags.cacheDir ?? defaultCacheRoot(),
        mirrors,
        offline: flags.offline ?? false,
        logger,
      })
    : undefined;
  try {
    const source = client ? clientIndexSource(client, trust) : localIndexSource(trust);
    for (const arch of archs) {
      universes.set(arch, await loadUniverse(repositories, arch, source, signal));
    }
  } finally {
    await client?.close();
  }
  return { configPath, config, archs, repositories, keys, universes };
}

interface ResolveFlags extends SourceFlags {
  json?: boolean;
}

/** Adds `resolve`. */
export function register(program: Command, io: () => CliIo): void {
  const cmd = program
    .command('resolve')
    .description(
      'Resolve an apko config the way `apk add` would (apk-tools 2.14 rules) and print ' +
        'name=version per package in install order, for each architecture.',
    )
    .argument('<config>', 'the apko YAML file');
  addSourceOptions(cmd)
    .option('--json', 'print JSON: {arch: [{name, version, repository}]}')
    .action(async (configArg: string, flags: ResolveFlags) => {
      const cli = io();
      const image = await prepareImage(configArg, flags, cli.logger);
      const out: Record<string, Array<{ name: string; version: string; repository: string }>> = {};
      const lines: string[] = [];
      for (const [arch, universe] of image.universes) {
        const res = resolve(image.config.contents?.packages ?? [], universe, {
          logger: cli.logger,
        });
        out[arch] = res.packages.map((p) => ({
          name: p.name,
          version: p.version,
          repository: p.repository,
        }));
        if (image.universes.size > 1) lines.push(`# ${arch}`);
        lines.push(...res.packages.map((p) => `${p.name}=${p.version}`));
      }
      cli.out(flags.json ? `${JSON.stringify(out, null, 2)}\n` : `${lines.join('\n')}\n`);
    });
}
