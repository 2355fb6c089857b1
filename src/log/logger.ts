/**
 * A small structured logger. Library code logs through a {@link Logger} it is given and never
 * touches the console; the command line decides how entries are rendered.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'verbose' | 'debug';

export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'verbose', 'debug'];

export type LogFields = Record<string, unknown>;

export interface LogEntry {
  level: LogLevel;
  message: string;
  fields: LogFields;
  timeMs: number;
}

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  verbose(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: LogFields): Logger;
}

/** Builds a {@link Logger} that hands every entry to `sink`. */
export function createLogger(sink: (entry: LogEntry) => void, base: LogFields = {}): Logger {
  const log = (level: LogLevel, message: string, fields: LogFields = {}): void =>
    sink({ level, message, fields: { ...base, ...fields }, timeMs: Date.now() });
  return {
    log,
    error: (m, f) => log('error', m, f),
    warn: (m, f) => log('warn', m, f),
    info: (m, f) => log('info', m, f),
    verbose: (m, f) => log('verbose', m, f),
    debug: (m, f) => log('debug', m, f),
    child: (fields) => createLogger(sink, { ...base, ...fields }),
  };
}

/** A logger that drops everything. */
export const nullLogger: Logger = createLogger(() => {});

/** A logger that keeps entries in memory, for tests. */
export function createMemoryLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return Object.assign(
    createLogger((e) => entries.push(e)),
    { entries },
  );
}
