/**
 * What the commands get to talk to the user: output streams and a logger that renders on
 * stderr. Plain lines when stderr is not a terminal (CI), so logs stay readable in job output.
 */
import {
  createLogger,
  LOG_LEVELS,
  type LogEntry,
  type Logger,
  type LogLevel,
} from '../log/logger.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is an interactive terminal (progress may redraw lines). */
  readonly isTty: boolean;
  readonly logger: Logger;
}

export interface CliIoOptions {
  level?: LogLevel;
  json?: boolean;
}

export function createCliIo(options: CliIoOptions = {}): CliIo {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'info');
  const err = (text: string): void => void process.stderr.write(text);
  const render = (e: LogEntry): void => {
    if (LOG_LEVELS.indexOf(e.level) > threshold) return;
    if (options.json) {
      const record = {
        time: new Date(e.timeMs).toISOString(),
        level: e.level,
        message: e.message,
        ...e.fields,
      };
      err(`${JSON.stringify(record)}\n`);
      return;
    }
    const fields = Object.entries(e.fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const tag = e.level === 'info' ? '' : `${e.level}: `;
    err(`${tag}${e.message}${fields ? ` (${fields})` : ''}\n`);
  };
  return {
    out: (text) => void process.stdout.write(text),
    err,
    isTty: Boolean(process.stderr.isTTY) && process.env.CI !== 'true',
    logger: createLogger(render),
  };
}
