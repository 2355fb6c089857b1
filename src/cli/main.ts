/**
 * The apkgraph command line. The only module that prints and sets the exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { ApkgraphError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log/logger.js';
import { COMMANDS } from './commands/index.js';
import { exitCodeFor, formatError } from './errors.js';
import { createCliIo, type CliIo } from './io.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Builds the program; exported for tests. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('apkgraph')
    .description(
      'Build whole sets of container images from APK packages (Alpine, Wolfi), apko-style: ' +
        'config nodes lock every image, build nodes write OCI images, and one shared, ' +
        'de-duplicated package cache serves them all.',
    )
    .version(pkg.version)
    .option('--debug', 'show stack traces and debug logs')
    .addOption(
      new Option('--log-level <level>', 'how much to log').choices(LOG_LEVELS).default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines on stderr as text or json')
        .choices(['text', 'json'])
        .default('text'),
    )
    .showHelpAfterError('(run with --help for usage)')
    // Commander's own usage errors (unknown option, missing argument) look like ours.
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, 'error[ERR_USAGE]: ')),
    })
    .exitOverride();

  let io: CliIo | undefined;
  const getIo = (): CliIo => {
    if (!io) {
      const opts = program.opts<{ debug?: boolean; logLevel: string; logFormat: string }>();
      const level = (opts.debug ? 'debug' : opts.logLevel) as LogLevel;
      io = createCliIo({ level, json: opts.logFormat === 'json' });
    }
    return io;
  };
  for (const register of COMMANDS) register(program, getIo);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed help, the version, or the usage error.
      return err.exitCode === 0 ? 0 : 2;
    }
    const debug = program.opts<{ debug?: boolean }>().debug === true;
    process.stderr.write(formatError(err, debug));
    return exitCodeFor(err);
  }
}

/** Exported so tests can recognise usage errors thrown by commands. */
export function usageError(message: string, hint?: string): ApkgraphError {
  return new ApkgraphError('ERR_USAGE', message, hint === undefined ? {} : { hint });
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith('/cli/main.js');
if (isEntry) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(formatError(err, true));
      process.exitCode = 70;
    },
  );
}
