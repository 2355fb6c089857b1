/** How the command line shows an error and which exit code it sets. */
import { ApkgraphError, isApkgraphError } from '../errors.js';

/** Exit codes: 1 for a failure apkgraph reports, 2 for bad usage, 70 for an internal error. */
export function exitCodeFor(err: unknown): number {
  if (!isApkgraphError(err)) return 70;
  if (err.code === 'ERR_USAGE') return 2;
  if (err.code === 'ERR_INTERNAL') return 70;
  if (err.code === 'ERR_ABORTED') return 130;
  return 1;
}

/** `error[CODE]: message`, the subject, the hint, and with `debug` the stack and causes. */
export function formatError(err: unknown, debug: boolean): string {
  const lines: string[] = [];
  if (isApkgraphError(err)) {
    lines.push(`error[${err.code}]: ${err.message}`);
    const s = err.subject;
    if (s.path)
      lines.push(`  file: ${s.path}${s.line ? `:${s.line}${s.column ? `:${s.column}` : ''}` : ''}`);
    if (s.url) lines.push(`  url: ${s.url}`);
    if (s.package) lines.push(`  package: ${s.package}`);
    if (s.node) lines.push(`  node: ${s.node}`);
    if (err.hint) lines.push(`  hint: ${err.hint}`);
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    lines.push(`error[ERR_INTERNAL]: internal error: ${e.message}`);
    lines.push('  hint: this is a bug in apkgraph; run again with --debug and report the output');
  }
  if (debug) {
    let cur: unknown = err;
    let depth = 0;
    while (cur instanceof Error && depth < 8) {
      lines.push(depth === 0 ? '' : '  caused by:', cur.stack ?? cur.message);
      cur = cur instanceof ApkgraphError || cur instanceof Error ? cur.cause : undefined;
      depth++;
    }
  }
  return `${lines.join('\n')}\n`;
}
