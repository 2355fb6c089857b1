/**
 * `apkgraph serve DIR`: a local repository server for mirrors, tests and benchmarks.
 */
import type { Command } from 'commander';
import { ApkgraphError } from '../../errors.js';
import { startRepoServer } from '../../serve/repo-server.js';
import { parseBandwidth } from '../../serve/throttle.js';
import type { CliIo } from '../io.js';

interface ServeFlags {
  host?: string;
  port: string;
  latencyMs?: string;
  bandwidth?: string;
  failRate?: string;
  resetRate?: string;
  stallRate?: string;
  rate429?: string;
  seed?: string;
}

function number(flag: string, value: string | undefined, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > max) {
    throw new ApkgraphError(
      'ERR_USAGE',
      `${flag} must be ${max === Infinity ? 'a number ≥ 0' : `a number from 0 to ${max}`}, ` +
        `got "${value}"`,
    );
  }
  return n;
}

/** Adds `serve`. */
export function register(program: Command, io: () => CliIo): void {
  program
    .command('serve')
    .description(
      'Serve a directory laid out as an APK repository (<arch>/APKINDEX.tar.gz, <arch>/*.apk) ' +
        'over HTTP with HEAD, ETag and Range, optional latency, a shared bandwidth cap and ' +
        'injected faults. Binds to 127.0.0.1; another address only when --host is given. ' +
        'Per-path request counts are at /_stats. Runs until interrupted.',
    )
    .argument('<dir>', 'the repository directory')
    .option('--host <address>', 'the address to bind (explicitly, to leave loopback)')
    .option('--port <n>', 'the port (0 picks a free one)', '0')
    .option('--latency-ms <n>', 'delay before every response')
    .option('--bandwidth <rate>', 'total body rate across connections, e.g. 50MiB/s')
    .option('--fail-rate <p>', 'share of requests answered 500')
    .option('--reset-rate <p>', 'share of bodies cut off by a connection reset')
    .option('--stall-rate <p>', 'share of bodies that stop half-way and hang')
    .option('--rate-429 <p>', 'share of requests answered 429 with Retry-After')
    .option('--seed <n>', 'seed for the fault generator', '1')
    .action(async (dir: string, flags: ServeFlags) => {
      const cli = io();
      const port = number('--port', flags.port, 65535) ?? 0;
      let bandwidth: number | undefined;
      try {
        bandwidth = flags.bandwidth === undefined ? undefined : parseBandwidth(flags.bandwidth);
      } catch (err) {
        throw new ApkgraphError('ERR_USAGE', `--bandwidth: ${(err as Error).message}`);
      }
      const latencyMs = number('--latency-ms', flags.latencyMs);
      const failRate = number('--fail-rate', flags.failRate, 1);
      const resetMidBody = number('--reset-rate', flags.resetRate, 1);
      const stall = number('--stall-rate', flags.stallRate, 1);
      const status429 = number('--rate-429', flags.rate429, 1);
      const server = await startRepoServer({
        root: dir,
        port,
        ...(flags.host === undefined ? {} : { host: flags.host, allowNonLoopback: true }),
        ...(latencyMs === undefined ? {} : { latencyMs }),
        ...(bandwidth === undefined ? {} : { bandwidthBytesPerSec: bandwidth }),
        faults: {
          ...(failRate === undefined ? {} : { failRate }),
          ...(resetMidBody === undefined ? {} : { resetMidBody }),
          ...(stall === undefined ? {} : { stall }),
          ...(status429 === undefined ? {} : { status429 }),
          seed: number('--seed', flags.seed) ?? 1,
        },
      });
      cli.out(`serving ${dir} at ${server.url} (stats at ${server.url}/_stats)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
      cli.err('server stopped\n');
    });
}
