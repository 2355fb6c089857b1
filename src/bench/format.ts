/**
 * Text renderings of a benchmark: the terminal table and bench.md.
 */
import { STRATEGY_DESCRIPTIONS, type BenchResult, type BenchRow } from './types.js';

// A figure the run did not report is NaN; it shows as "n/a", never as a made-up zero.
const NA = 'n/a';
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : NA);
const secs = (ms: number): string => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : NA);
const mib = (b: number): string => (Number.isFinite(b) ? (b / (1024 * 1024)).toFixed(1) : NA);
const int = (n: number): string => (Number.isFinite(n) ? String(n) : NA);
const ratio = (a: number, b: number): string => (Number.isFinite(a / b) ? (a / b).toFixed(2) : NA);

const COLUMNS: Array<[header: string, cell: (r: BenchRow) => string]> = [
  ['strategy', (r) => (r.ok ? r.strategy : `${r.strategy} (FAILED)`)],
  ['jobs', (r) => String(r.jobs)],
  ['requests', (r) => int(r.requests)],
  ['unique', (r) => int(r.unique)],
  ['hits', (r) => int(r.hits)],
  ['coalesced', (r) => int(r.coalesced)],
  ['downloads', (r) => int(r.downloads)],
  ['dup', (r) => int(r.duplicateDownloads)],
  ['MiB', (r) => mib(r.bytesDownloaded)],
  ['ideal', (r) => pct(r.idealHitRate)],
  ['hit rate', (r) => pct(r.hitRate)],
  ['server GETs', (r) => `${r.serverApkGets}${r.serverAgrees ? '' : ' (!)'}`],
  ['wall s', (r) => secs(r.wallMs)],
  ['config s', (r) => secs(r.configMs)],
  ['build s', (r) => secs(r.buildMs)],
  ['CPU s', (r) => secs(r.cpuMs)],
  ['bound s', (r) => secs(r.lowerBoundMs)],
  ['wall/bound', (r) => ratio(r.wallMs, r.lowerBoundMs)],
  ['peak RSS MiB', (r) => mib(r.peakRssBytes)],
];

/** A fixed-width table for the terminal, numbers right-aligned. */
export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((r) => COLUMNS.map(([, f]) => f(r)));
  const widths = COLUMNS.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(COLUMNS.map(([h]) => h)), ...cells.map(line)].join('\n') + '\n';
}

/** bench.md: the settings, the table, the strategy definitions and any failures. */
export function formatMarkdown(result: BenchResult): string {
  const s = result.settings;
  const out: string[] = [
    '# apkgraph bench',
    '',
    `Set \`${s.set}\`, repository \`${s.repository}\` served on 127.0.0.1 with ${s.latencyMs} ms ` +
      `latency and ${mib(s.bandwidthBytesPerSec)} MiB/s shared bandwidth. Node ${s.node}, ` +
      `${s.cpus} CPUs, started ${s.startedAt}. Every row starts from an empty cache.`,
    '',
    `| ${COLUMNS.map(([h]) => h).join(' | ')} |`,
    `|${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...result.rows.map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(' | ')} |`),
    '',
    'Strategies:',
    '',
    ...s.strategies.map((k) => `- \`${k}\`: ${STRATEGY_DESCRIPTIONS[k]}.`),
    '',
    'Hit rate = 1 − downloads / requests, where requests are package references (one per locked',
    'package per build); ideal = 1 − unique / requests. "server GETs" is the repository',
    "server's own count of .apk GETs; (!) marks a row where it differs from the downloads.",
    "CPU s is the run process's CPU time (all threads); bound s = max(unique bytes ÷ bandwidth,",
    'CPU s ÷ cores), the least wall time any schedule of that work could take.',
  ];
  const failed = result.rows.filter((r) => !r.ok);
  if (failed.length > 0) {
    out.push('', 'Failures:', '');
    for (const r of failed) out.push(`- ${r.strategy} × ${r.jobs}: ${r.error ?? 'unknown error'}`);
  }
  return out.join('\n') + '\n';
}
