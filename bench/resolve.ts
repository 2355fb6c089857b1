/**
 * Resolver time: every module of the alpine-3.22 module set, latest and latest-dev, against
 * the real Alpine v3.22 main index, parsed and indexed once. Prints the round total (median of
 * 5, wall and CPU) and the per-solve p50/p95; the target is a whole round under one second.
 *
 *     npm run bench:resolve
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readApkIndexFile } from '../src/apk/apkindex-file.js';
import { parseApkoConfig } from '../src/config/apko.js';
import { lockDev, lockLatest, type LockVariantsInput } from '../src/lock/variants.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import { buildUniverse } from '../src/resolve/universe.js';

// The bench runs from its compiled copy, so the data is found from the working directory
// (npm runs scripts in the project root), as test/realdata.ts does from the source tree.
const REALDATA = process.env.APKGRAPH_REALDATA ?? resolve('..', 'shared', 'realdata');
const ROUNDS = 5;

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

let t = performance.now();
const index = await readApkIndexFile(
  join(REALDATA, 'apkindex/alpine/alpine-v3.22-main-x86_64.APKINDEX.tar.gz'),
  { allowUnsigned: true },
);
const parseMs = performance.now() - t;
t = performance.now();
const universe = buildUniverse(
  [{ url: 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main', packages: index.packages }],
  { arch: 'x86_64' },
);
const buildMs = performance.now() - t;
const universes = new Map([['x86_64', universe]]);

const set = await loadModuleSet(join(REALDATA, 'modulesets/alpine-3.22'));
const inputs: LockVariantsInput[] = [];
for (const m of set.modules) {
  const config = parseApkoConfig(await readFile(m.apkoPath, 'utf8'), m.apkoPath);
  inputs.push({
    config,
    universes,
    basePackages: set.settings.packages,
    ...(m.settings.dev
      ? { devPackages: [...set.settings.devPackages, ...m.settings.extraDevPackages] }
      : {}),
  });
}

const wall: number[] = [];
const cpu: number[] = [];
let solves: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const round: number[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const input of inputs) {
    let s = performance.now();
    const latest = lockLatest(input);
    round.push(performance.now() - s);
    if (input.devPackages) {
      s = performance.now();
      lockDev(latest, input);
      round.push(performance.now() - s);
    }
  }
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  solves = round;
}
const sorted = [...solves].sort((a, b) => a - b);
const fmt = (x: number): string => x.toFixed(0);
console.log(
  `index: ${index.packages.length} packages; parse ${fmt(parseMs)} ms, universe ${fmt(buildMs)} ms (once)`,
);
console.log(`modules: ${inputs.length}; solves per round: ${solves.length}`);
console.log(
  `round: median ${fmt(median(wall))} ms wall, ${fmt(median(cpu))} ms CPU  [wall ${wall.map(fmt).join(', ')}]`,
);
console.log(
  `per solve (last round): p50 ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms`,
);
