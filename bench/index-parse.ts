/**
 * Parse + verify time of a real Alpine main index (5,646 packages): the work every config node
 * does per repository and arch before resolving. Prints the median of 20 runs after warm-up.
 *
 *     npm run bench:index [-- FILE KEYDIR]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readApkIndex } from '../src/apk/apkindex-file.js';
import { loadKeyring } from '../src/apk/keys.js';

// The bench runs from its compiled copy, so the data is found from the working directory
// (npm runs scripts in the project root), as test/realdata.ts does from the source tree.
const REALDATA = process.env.APKGRAPH_REALDATA ?? resolve('..', 'shared', 'realdata');
const realdata = (...parts: string[]): string => join(REALDATA, ...parts);

const RUNS = 20;
const WARMUP = 5;

const file = resolve(
  process.argv[2] ?? realdata('apkindex', 'alpine', 'alpine-v3.22-main-x86_64.APKINDEX.tar.gz'),
);
const keyDir = resolve(process.argv[3] ?? realdata('keys', 'alpine'));
const bytes = readFileSync(file);
const keyring = await loadKeyring([keyDir]);

// Wall time, and CPU time of this process, which a busy machine inflates less.
const once = (): [wallMs: number, cpuMs: number] => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const index = readApkIndex(bytes, { keyring, source: file });
  const cpu = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  if (!index.verifiedBy) throw new Error('index did not verify');
  return [ms, (cpu.user + cpu.system) / 1000];
};

const medianOf = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return ((s[RUNS / 2 - 1] ?? 0) + (s[RUNS / 2] ?? 0)) / 2;
};

for (let i = 0; i < WARMUP; i++) once();
const runs = Array.from({ length: RUNS }, once);
const times = runs.map(([wall]) => wall).sort((a, b) => a - b);
const median = medianOf(times);
const cpuMedian = medianOf(runs.map(([, cpu]) => cpu));
const packages = readApkIndex(bytes, { keyring }).packages.length;
console.log(
  `index parse+verify: ${packages} packages, ${bytes.length} bytes; ` +
    `median ${median.toFixed(1)} ms (CPU ${cpuMedian.toFixed(1)} ms), min ${times[0]?.toFixed(1)} ms, max ${times[RUNS - 1]?.toFixed(1)} ms (${RUNS} runs)`,
);
