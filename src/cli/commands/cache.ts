/**
 * `apkgraph cache stats|verify|clean`: inspect, check and empty the shared package cache.
 */
import type { Command } from 'commander';
import { defaultCacheRoot } from '../../cache/layout.js';
import { cacheInventory, cleanCache, verifyCache } from '../../cache/maintenance.js';
import { ApkgraphError } from '../../errors.js';
import type { CliIo } from '../io.js';

interface CommonFlags {
  cacheDir?: string;
  json?: boolean;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Adds `cache` and its subcommands. */
export function register(program: Command, io: () => CliIo): void {
  const cache = program
    .command('cache')
    .description(
      'Inspect, verify or empty the shared package cache (default ~/.cache/apkgraph, or ' +
        '$XDG_CACHE_HOME/apkgraph). Its layout follows go-apk; see docs/cache.md.',
    );

  cache
    .command('stats')
    .description('Count repositories, indexes, cached packages, leftovers and bytes on disk.')
    .option('--cache-dir <dir>', 'the cache directory')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags) => {
      const cli = io();
      const inv = await cacheInventory(flags.cacheDir ?? defaultCacheRoot());
      if (flags.json) return cli.out(`${JSON.stringify(inv, null, 2)}\n`);
      cli.out(
        [
          `cache ${inv.root}`,
          `  repositories  ${inv.repositories.length}` +
            `${inv.repositories.map((r) => `\n    ${r}`).join('')}`,
          `  indexes       ${inv.indexFiles}`,
          `  packages      ${inv.entries} (in ${inv.packageDirs} directories)`,
          `  leftovers     ${inv.leftovers}`,
          `  size          ${mib(inv.bytes)}`,
          '',
        ].join('\n'),
      );
    });

  cache
    .command('verify')
    .description(
      'Re-hash every cached package (control SHA-1 and data SHA-256 against .PKGINFO) and ' +
        'report damaged entries; exits 1 if any. --fix removes them so they are fetched again.',
    )
    .option('--cache-dir <dir>', 'the cache directory')
    .option('--fix', 'remove damaged entries')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & { fix?: boolean }) => {
      const cli = io();
      const root = flags.cacheDir ?? defaultCacheRoot();
      const report = await verifyCache(root, { fix: flags.fix === true });
      if (flags.json) cli.out(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const bad of report.bad) cli.out(`damaged: ${bad.dir}: ${bad.reason}\n`);
        cli.out(
          `${report.checked} entries checked, ${report.bad.length} damaged` +
            `${flags.fix ? `, ${report.removed} removed` : ''}\n`,
        );
      }
      if (report.bad.length > 0 && !flags.fix) {
        throw new ApkgraphError('ERR_CACHE_CORRUPT', `${report.bad.length} damaged cache entries`, {
          path: root,
          hint: 'run "apkgraph cache verify --fix" to remove them; the next run fetches them again',
        });
      }
    });

  cache
    .command('clean')
    .description(
      'Remove the whole cache, or with --leftovers only temporary files and abandoned locks ' +
        'older than 10 minutes (safe while other apkgraph processes run).',
    )
    .option('--cache-dir <dir>', 'the cache directory')
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('--leftovers', 'only temporary files and abandoned locks')
    .option('--json', 'print JSON')
    .action(async (flags: CommonFlags & { dryRun?: boolean; leftovers?: boolean }) => {
      const cli = io();
      const report = await cleanCache(flags.cacheDir ?? defaultCacheRoot(), {
        dryRun: flags.dryRun === true,
        leftoversOnly: flags.leftovers === true,
      });
      if (flags.json) return cli.out(`${JSON.stringify(report, null, 2)}\n`);
      const verb = flags.dryRun ? 'would remove' : 'removed';
      for (const p of report.paths) cli.out(`${verb} ${p}\n`);
      cli.out(`${verb} ${report.paths.length} paths, ${mib(report.bytes)}\n`);
    });
}
