/**
 * `apkgraph bench [SET]`: hit rate, downloads and wall time per strategy and parallelism, each
 * from a cold cache, against a local repository server with latency and a bandwidth cap.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { BENCH_DEFAULTS, runBench, writeBenchOutputs } from '../../bench/bench.js';
import { formatTable } from '../../bench/format.js';
import { parseJobs, parseStrategies } from '../../bench/strategies.js';
import { ApkgraphError } from '../../errors.js';
import { embeddedSetLabel, setDirOrEmbedded } from '../embedded-set.js';
import type { CliIo } from '../io.js';

interface BenchFlags {
  repo?: string;
  mirrorFrom?: string[];
  keyring?: string[];
  strategies: string;
  jobs: string;
  latencyMs: string;
  bandwidth: string;
  out: string;
  workDir?: string;
  runArg?: string[];
}

const usage = (message: string): Error => new ApkgraphError('ERR_USAGE', message);

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** `50MiB/s`, `2.5MB/s`, `1000000` → bytes per second (the `/s` is optional). */
export function parseBandwidth(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(|B|KB|KiB|MB|MiB|GB|GiB)(?:\/s)?$/i.exec(text.trim());
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
  };
  const n = m ? Number(m[1]) * units[m[2]!.toLowerCase()]! : NaN;
  if (!(n > 0)) {
    throw usage(`--bandwidth must be a size per second such as 50MiB/s, got "${text}"`);
  }
  return Math.round(n);
}

/** Adds `bench`. */
export function register(program: Command, io: () => CliIo): void {
  program
    .command('bench')
    .description(
      'Run the module set once per strategy (naive, dedup, prefetch) and jobs value, each from ' +
        'a cold cache, against a local repository server; write bench.json, bench.md, bench.svg.',
    )
    .argument('[set]', `the module set folder (default: the embedded set, ${embeddedSetLabel()})`)
    .option(
      '--repo <dir>',
      'repository folder to serve, e.g. made by "repo synth" (default: the set\'s demo repository)',
    )
    .option(
      '--mirror-from <url>',
      'repository URL to point at the server (repeatable; default: every one the set names)',
      collect,
    )
    .option(
      '--keyring <file>',
      'key the runs trust (repeatable; default: <repo>/*.rsa.pub)',
      collect,
    )
    .option('--strategies <list>', 'comma-separated', BENCH_DEFAULTS.strategies.join(','))
    .option(
      '-j, --jobs <list>',
      'comma-separated parallelism values',
      BENCH_DEFAULTS.jobs.join(','),
    )
    .option('--latency-ms <ms>', 'delay before each response', String(BENCH_DEFAULTS.latencyMs))
    .option('--bandwidth <rate>', 'bandwidth shared by all connections', '50MiB/s')
    .option('--out <dir>', 'where bench.json, bench.md and bench.svg go', 'bench-results')
    .option('--work-dir <dir>', 'parent of the temporary caches (default: the OS temp folder)')
    .option('--run-arg <arg>', 'extra argument for every "apkgraph run" (repeatable)', collect)
    .action(async (setArg: string | undefined, flags: BenchFlags) => {
      const set = setDirOrEmbedded(setArg);
      const cli = io();
      const latencyMs = Number(flags.latencyMs);
      if (!Number.isFinite(latencyMs) || latencyMs < 0) {
        throw usage(`--latency-ms must be a number of milliseconds, got "${flags.latencyMs}"`);
      }
      const controller = new AbortController();
      const cancel = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', cancel);
      process.once('SIGTERM', cancel);
      try {
        const result = await runBench({
          set,
          ...(flags.repo === undefined ? {} : { repository: flags.repo }),
          ...(flags.mirrorFrom ? { mirrorFrom: flags.mirrorFrom } : {}),
          ...(flags.keyring ? { keyring: flags.keyring.map((k) => resolve(k)) } : {}),
          strategies: parseStrategies(flags.strategies, usage),
          jobs: parseJobs(flags.jobs, usage),
          latencyMs,
          bandwidthBytesPerSec: parseBandwidth(flags.bandwidth),
          ...(flags.workDir ? { workDir: flags.workDir } : {}),
          ...(flags.runArg ? { extraRunArgs: flags.runArg } : {}),
          logger: cli.logger,
          signal: controller.signal,
        });
        const files = await writeBenchOutputs(result, flags.out);
        cli.out(formatTable(result.rows));
        cli.out(`\nwrote ${files.json}, ${files.markdown}, ${files.svg}\n`);
        if (result.rows.some((r) => !r.ok)) process.exitCode = 1;
      } finally {
        process.off('SIGINT', cancel);
        process.off('SIGTERM', cancel);
      }
    });
}
