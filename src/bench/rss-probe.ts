/**
 * Preloaded into each `apkgraph run` child of a benchmark (`node --import`): on exit it writes
 * the process's peak resident set size and its CPU time (every thread, user + system) to
 * $APKGRAPH_BENCH_RSS_FILE. Measuring in the child
 * itself covers its worker threads and needs nothing from the run's own report.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.APKGRAPH_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    // resourceUsage() gives maxRSS in kilobytes and CPU times in microseconds.
    const u = process.resourceUsage();
    const cpuMs = (u.userCPUTime + u.systemCPUTime) / 1000;
    writeFileSync(file, JSON.stringify({ maxRssBytes: u.maxRSS * 1024, cpuMs }));
  });
}
