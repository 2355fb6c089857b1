/**
 * `apkgraph run [SET]`: runs a module set (default: the embedded ./modules) as a graph and
 * prints the cache figures. Ctrl-C or SIGTERM cancels every queued and running task; outputs
 * are published atomically, so nothing is left half-written.
 */
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defaultCacheRoot } from '../../cache/layout.js';
import type { Coordination } from '../../cache/package-cache.js';
import { serveDemoRepo } from '../../demo/serve-demo.js';
import { AbortError, ApkgraphError } from '../../errors.js';
import { buildGraph } from '../../graph/build-graph.js';
import { selectTargets } from '../../graph/targets.js';
import { loadModuleSet } from '../../moduleset/load.js';
import {
  collect,
  parseArchs,
  parseMirrors,
  parsePositiveInt,
  parseNonNegativeInt,
  parseSecondsToMs,
  checkArchOverride,
  checkSetMirrors,
  existingPaths,
} from '../../scheduler/options.js';
import { ProgressTracker, summaryText } from '../../scheduler/progress.js';
import { createRealServices } from '../../scheduler/real-services.js';
import { runModuleSet } from '../../scheduler/run-set.js';
import { buildTrace } from '../../scheduler/trace.js';
import type { SchedulerEvent } from '../../scheduler/types.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { formatError } from '../errors.js';
import { embeddedSetLabel, setDirOrEmbedded } from '../embedded-set.js';
import type { CliIo } from '../io.js';

interface RunFlags {
  target?: string[];
  arch?: string[];
  keyring?: string[];
  mirror?: string[];
  prefetch?: boolean;
  cacheDir?: string;
  out: string;
  offline?: boolean;
  jobs?: string;
  configJobs: string;
  keepGoing?: boolean;
  report?: string;
  trace?: string;
  fetchCoordination: string;
  timeout: string;
  retries: string;
}

function parseCoordination(mode: string): Coordination {
  if (mode === 'single-flight' || mode === 'none') return mode;
  throw new ApkgraphError(
    'ERR_USAGE',
    `--fetch-coordination must be single-flight or none, got "${mode}"`,
  );
}

/** Adds `run`. */
export function register(program: Command, io: () => CliIo): void {
  program
    .command('run')
    .description(
      'Run a module set: config nodes lock every image (and with prefetch download every ' +
        'locked APK into the shared cache), build nodes write OCI layouts to ' +
        'OUT/<module>/<variant>. ' +
        'Without SET, runs the embedded default set (./modules), served from a generated, ' +
        'signed DEMO repository on 127.0.0.1, so it works with no network.',
    )
    .argument('[set]', `the module set folder (default: the embedded set, ${embeddedSetLabel()})`)
    .option(
      '--target <module[:variant]>',
      'only these images and what they need (repeatable or comma-separated)',
      collect,
    )
    .option('--arch <arch>', 'only these archs (repeatable or comma-separated)', collect)
    .option('--keyring <file>', 'trust one more key for every config', collect)
    .option(
      '--mirror <from=to>',
      'fetch repository FROM from TO (adds to the set’s mirrors)',
      collect,
    )
    .option('--prefetch', 'config nodes download every locked package (overrides the set)')
    .option('--no-prefetch', 'build nodes download what they miss (overrides the set)')
    .option('--cache-dir <dir>', 'the package cache (default: ~/.cache/apkgraph)')
    .option('--out <dir>', 'where images go: <dir>/<module>/<variant>', 'out')
    .option('--offline', 'use cached indexes and packages only')
    .option('-j, --jobs <n>', 'build nodes at once (default: the number of CPUs)')
    .option('--config-jobs <n>', 'config nodes at once', '4')
    .option('--keep-going', 'run everything that does not depend on a failure')
    .option(
      '--fetch-coordination <mode>',
      'single-flight (concurrent misses share one download) or none (each downloads; ' +
        'the control group of "apkgraph bench")',
      'single-flight',
    )
    .option(
      '--timeout <seconds>',
      'longest wait for a response, and for each piece of a body, before a retry',
      '30',
    )
    .option('--retries <n>', 'retries of a failed request (with backoff) before giving up', '4')
    .option('--report <file>', 'write a JSON summary of the run')
    .option('--trace <file>', 'write Chrome trace-event JSON (open it in ui.perfetto.dev)')
    .action(async (setDirArg: string | undefined, flags: RunFlags) => {
      const setDir = setDirOrEmbedded(setDirArg);
      const cli = io();
      const jobs =
        flags.jobs === undefined ? availableParallelism() : parsePositiveInt('--jobs', flags.jobs);
      const configJobs = parsePositiveInt('--config-jobs', flags.configJobs);
      const http = {
        requestTimeoutMs: parseSecondsToMs('--timeout', flags.timeout),
        retries: parseNonNegativeInt('--retries', flags.retries),
      };
      const archs = parseArchs(flags.arch ?? []);
      const keyring = await existingPaths('--keyring', flags.keyring ?? []);
      const set = await loadModuleSet(setDir);
      const graph = selectTargets(buildGraph(set), flags.target ?? []);
      checkArchOverride(
        set,
        graph.nodes().map((n) => n.module),
        archs,
      );
      const cacheDir = resolve(flags.cacheDir ?? defaultCacheRoot());
      const flagMirrors = parseMirrors(flags.mirror ?? []);
      checkSetMirrors(set, flagMirrors);
      const mirrors = { ...set.settings.mirrors, ...flagMirrors };
      const prefetch = flags.prefetch ?? set.settings.prefetch;

      const controller = new AbortController();
      const onSignal = (sig: NodeJS.Signals): void => {
        cli.err(`\n${sig}: cancelling…\n`);
        controller.abort(new AbortError(`interrupted by ${sig}`));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);

      const server = await serveDemoRepo(set, cacheDir, mirrors, {
        logger: cli.logger,
        signal: controller.signal,
      });
      const services = createRealServices({
        cacheDir,
        mirrors,
        http,
        offline: flags.offline === true,
        // Builds are CPU-bound: more threads than cores only add memory. --jobs still bounds
        // how many build nodes are in flight (fetching what they miss, or queued for a thread).
        buildThreads: Math.min(jobs, availableParallelism()),
        coordination: parseCoordination(flags.fetchCoordination),
        logger: cli.logger,
      });

      const tracker = new ProgressTracker();
      let lastDraw = 0;
      const draw = (force = false): void => {
        const now = Date.now();
        if (!force && now - lastDraw < 100) return;
        lastDraw = now;
        cli.err(`\r\x1b[2K${tracker.statusLine(services.cacheStats())}`);
      };
      const onEvent = (e: SchedulerEvent): void => {
        const line = tracker.update(e);
        if (cli.isTty) {
          if (line?.startsWith('FAILED')) cli.err(`\r\x1b[2K${line}\n`);
          draw(e.type === 'run-end');
        } else if (line !== undefined) {
          cli.err(`${line}\n`);
        }
      };
      const ticker = cli.isTty ? setInterval(() => draw(), 250) : undefined;

      try {
        const { result, report } = await runModuleSet({
          set,
          graph,
          services,
          prefetch,
          jobs,
          configConcurrency: configJobs,
          keepGoing: flags.keepGoing === true,
          outRoot: resolve(flags.out),
          overrides: { archs, keyring },
          onEvent,
          logger: cli.logger,
          signal: controller.signal,
        });
        if (ticker) clearInterval(ticker);
        if (cli.isTty) cli.err('\n');
        if (flags.report) {
          await writeFileAtomic(flags.report, `${JSON.stringify(report, null, 2)}\n`);
        }
        if (flags.trace) {
          await writeFileAtomic(flags.trace, `${JSON.stringify(buildTrace(report))}\n`);
        }
        for (const n of graph.order()) {
          const o = result.outcomes.get(n.id);
          if (o && !o.ok && o.failure.reason === 'failed')
            cli.err(formatError(o.failure.error, false));
        }
        const p = report.totals.predicted.overall;
        cli.out(
          summaryText({
            ok: result.ok,
            cancelled: controller.signal.aborted,
            durationMs: result.durationMs,
            nodes: report.totals.nodes,
            cache: report.totals.measured,
            idealHitRate: p.idealHitRate,
            unique: p.unique,
            references: p.references,
          }),
        );
        if (!result.ok) {
          process.exitCode = controller.signal.aborted ? 130 : 1;
        } else if (report.totals.nodes.ok > 0) {
          cli.out(`images: ${resolve(flags.out)}/<module>/<variant> (OCI layouts)\n`);
        }
      } finally {
        if (ticker) clearInterval(ticker);
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        await services.close();
        await server?.close();
      }
      if (controller.signal.aborted && process.exitCode !== 130) {
        throw new ApkgraphError('ERR_ABORTED', 'cancelled');
      }
    });
}
