/**
 * `apkgraph lock apko.yaml`: resolve every architecture and write apko's lock JSON (v1).
 *
 * Section ranges and digests are written when the package cache can tell them; this command
 * resolves from indexes only, so it leaves them out. Module sets are locked by the graph's
 * config nodes through the same library calls (lockVariants, toApkoLockJson).
 */
import type { Command } from 'commander';
import { toApkoLockJson } from '../../lock/apko-lock.js';
import { lockImage } from '../../lock/lock-image.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { CliIo } from '../io.js';
import { addSourceOptions, prepareImage, type SourceFlags } from './resolve.js';

interface LockFlags extends SourceFlags {
  output?: string;
}

/** `apko.yaml` → `apko.lock.json`, next to the config. */
function defaultOutput(configArg: string): string {
  return configArg.replace(/\.ya?ml$/i, '') + '.lock.json';
}

/** Adds `lock`. */
export function register(program: Command, io: () => CliIo): void {
  const cmd = program
    .command('lock')
    .description(
      "Resolve an apko config for every architecture and write apko's lock file (JSON v1):\n" +
        'repositories, keys and every package with its URL, version and checksum.',
    )
    .argument('<config>', 'the apko YAML file')
    .option('-o, --output <file>', 'where to write the lock (default: <config>.lock.json)');
  addSourceOptions(cmd).action(async (configArg: string, flags: LockFlags) => {
    const cli = io();
    const image = await prepareImage(configArg, flags, cli.logger);
    const lock = lockImage({
      config: image.config,
      universes: image.universes,
      logger: cli.logger,
    });
    const json = toApkoLockJson({
      lock,
      configName: configArg,
      configInput: { config: image.config, archs: image.archs, repositories: image.repositories },
      repositories: image.repositories,
      runtimeRepositories: image.config.contents?.runtime_repositories ?? [],
      keyring: image.keys,
    });
    const output = flags.output ?? defaultOutput(configArg);
    await writeFileAtomic(output, `${JSON.stringify(json, null, 2)}\n`);
    const count = json.contents.packages.length;
    cli.logger.info(`wrote ${output}`, {
      packages: count,
      archs: image.archs.join(','),
    });
  });
}
