/**
 * `apkgraph repo synth`: a signed synthetic mirror of a real APKINDEX, for offline benchmarks.
 */
import type { Command } from 'commander';
import { ApkgraphError } from '../../errors.js';
import { synthRepository } from '../../synth/repo-synth.js';
import type { CliIo } from '../io.js';

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ApkgraphError('ERR_USAGE', `${flag} must be a positive number, got "${value}"`);
  }
  return n;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new ApkgraphError('ERR_USAGE', `${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

interface SynthFlags {
  from: string;
  out: string;
  scale: string;
  key?: string;
  arch?: string;
  onlyNeededBy?: string;
  jobs?: string;
}

/** Adds `repo synth` (under a `repo` command group). */
export function register(program: Command, io: () => CliIo): void {
  const repo =
    program.commands.find((c) => c.name() === 'repo') ??
    program.command('repo').description('Make and inspect APK repositories');
  repo
    .command('synth')
    .description(
      'Write a signed repository of valid synthetic APKs with the names, versions, dependencies ' +
        'and provides of a real APKINDEX, each about S × scale bytes, deterministic content.',
    )
    .requiredOption(
      '--from <index>',
      'source APKINDEX.tar.gz (signed or not) or plain APKINDEX text',
    )
    .requiredOption('--out <dir>', 'repository folder; writes <dir>/<arch>/ and the public key')
    .option('--scale <factor>', "package size as a share of the record's S:", '0.1')
    .option('--key <file>', 'PEM private key to sign with (default: generate one, kept in --out)')
    .option('--arch <arch>', "which arch of the index to generate (default: the index's only one)")
    .option(
      '--only-needed-by <set>',
      'generate only the packages this module set can install (closure over names and provides)',
    )
    .option('-j, --jobs <n>', 'parallel generators (default: the number of CPUs)')
    .action(async (flags: SynthFlags) => {
      const cli = io();
      const summary = await synthRepository({
        from: flags.from,
        out: flags.out,
        scale: positiveNumber('--scale', flags.scale),
        ...(flags.key === undefined ? {} : { keyPath: flags.key }),
        ...(flags.arch === undefined ? {} : { arch: flags.arch }),
        ...(flags.onlyNeededBy === undefined ? {} : { onlyNeededBy: flags.onlyNeededBy }),
        ...(flags.jobs === undefined ? {} : { concurrency: positiveInt('--jobs', flags.jobs) }),
        logger: cli.logger,
      });
      const mib = (b: number): string => (b / (1024 * 1024)).toFixed(1);
      cli.out(
        `${summary.packages} packages (${summary.arch}, ` +
          `of ${summary.sourcePackages} in the index), ` +
          `${mib(summary.apkBytes)} MiB of .apk (target ${mib(summary.targetBytes)} MiB) ` +
          `in ${(summary.elapsedMs / 1000).toFixed(1)} s\n` +
          `index: ${summary.indexPath}\nkey:   ${summary.publicKeyPath}\n`,
      );
    });
}
