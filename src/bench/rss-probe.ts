/**
 * Preloaded into each `apkgraph run` child of a benchmark (`node --import`): on exit it writes
 * the process's peak resident set size to $APKGRAPH_BENCH_RSS_FILE. Measuring in the child
 * itself covers its worker threads and needs nothing from the run's own report.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.APKGRAPH_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    // resourceUsage().maxRSS is in kilobytes.
    writeFileSync(file, JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
  });
}
