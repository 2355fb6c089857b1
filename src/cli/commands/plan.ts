/**
 * `apkgraph plan [SET]`: the build graph of a module set and the cache figures it predicts.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultCacheRoot } from '../../cache/layout.js';
import { serveDemoRepo } from '../../demo/serve-demo.js';
import { ApkgraphError } from '../../errors.js';
import { buildGraph } from '../../graph/build-graph.js';
import { pinnedLocks } from '../../graph/pinned-locks.js';
import { computePlanStats, type PlanStats } from '../../graph/plan-stats.js';
import {
  planData,
  renderPlanDot,
  renderPlanText,
  type StatsSource,
} from '../../graph/render-plan.js';
import { selectTargets } from '../../graph/targets.js';
import { loadModuleSet } from '../../moduleset/load.js';
import {
  checkSetMirrors,
  collect,
  parseArchs,
  parseMirrors,
  existingPaths,
} from '../../scheduler/options.js';
import { createRealServices } from '../../scheduler/real-services.js';
import { resolveSetLocks } from '../../scheduler/resolve-set.js';
import { embeddedSetLabel, setDirOrEmbedded } from '../embedded-set.js';
import type { CliIo } from '../io.js';

interface PlanFlags {
  format: string;
  target?: string[];
  arch?: string[];
  keyring?: string[];
  mirror?: string[];
  resolve?: boolean;
  cacheDir?: string;
  offline?: boolean;
}

/** Adds `plan`. */
export function register(program: Command, io: () => CliIo): void {
  program
    .command('plan')
    .description(
      'Show the build graph of a module set and, after resolving, the predicted cache figures: ' +
        'package references, unique packages and the ideal hit rate per arch and overall. ' +
        'Sets whose configs pin complete closures (name=version) are counted from the pins ' +
        'without any index; others are resolved (use --mirror for a local repository).',
    )
    .argument('[set]', `the module set folder (default: the embedded set, ${embeddedSetLabel()})`)
    .option('--format <format>', 'text, dot or json', 'text')
    .option(
      '--target <module[:variant]>',
      'only these nodes and what they need (repeatable or comma-separated)',
      collect,
    )
    .option('--arch <arch>', 'only these archs (repeatable or comma-separated)', collect)
    .option('--keyring <file>', 'trust one more key for every config', collect)
    .option('--mirror <from=to>', 'fetch repository FROM from TO', collect)
    .option('--resolve', 'resolve against the indexes even when every package is pinned')
    .option('--cache-dir <dir>', 'the package cache (default: ~/.cache/apkgraph)')
    .option('--offline', 'use cached indexes only')
    .action(async (setDirArg: string | undefined, flags: PlanFlags) => {
      const setDir = setDirOrEmbedded(setDirArg);
      const cli = io();
      if (!['text', 'dot', 'json'].includes(flags.format)) {
        throw new ApkgraphError(
          'ERR_USAGE',
          `--format must be text, dot or json, got "${flags.format}"`,
        );
      }
      const set = await loadModuleSet(setDir);
      const flagMirrors = parseMirrors(flags.mirror ?? []);
      checkSetMirrors(set, flagMirrors);
      const graph = selectTargets(buildGraph(set), flags.target ?? []);
      if (flags.format === 'dot') {
        cli.out(renderPlanDot(graph));
        return;
      }
      const archs = parseArchs(flags.arch ?? []);
      const overrides = { archs, keyring: await existingPaths('--keyring', flags.keyring ?? []) };
      let stats: PlanStats | undefined;
      let source: StatsSource = 'pins';
      const pinned = flags.resolve ? undefined : pinnedLocks(set, graph, overrides);
      if (pinned && 'locks' in pinned) {
        stats = computePlanStats(pinned.locks);
      } else {
        source = 'resolved';
        const cacheDir = resolve(flags.cacheDir ?? defaultCacheRoot());
        const mirrors = { ...set.settings.mirrors, ...flagMirrors };
        const server = await serveDemoRepo(set, cacheDir, mirrors, { logger: cli.logger });
        const services = createRealServices({
          mirrors,
          cacheDir,
          offline: flags.offline === true,
          fetchInProcess: true,
          buildInProcess: true,
          logger: cli.logger,
        });
        let locks;
        try {
          locks = await resolveSetLocks(set, graph, { services, overrides });
        } finally {
          await services.close();
          await server?.close();
        }
        stats = computePlanStats(locks);
      }
      cli.out(
        flags.format === 'json'
          ? `${JSON.stringify(planData(graph, stats, source), null, 2)}\n`
          : renderPlanText(graph, stats, source),
      );
    });
}
