// Resolver benchmark: every module of the alpine-3.22 module set, latest and latest-dev,
// against the real Alpine v3.22 main index, parsed once. Runs from the compiled dist/
// (`npm run bench:resolve` builds first). Prints total wall time per round (median of 5) and
// the per-solve p50/p95; the target is a whole round under one second.
import console from 'node:console';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { readApkIndexFile } from '../dist/apk/apkindex-file.js';
import { parseApkoConfig } from '../dist/config/apko.js';
import { lockDev, lockLatest } from '../dist/lock/variants.js';
import { loadModuleSet } from '../dist/moduleset/load.js';
import { buildUniverse } from '../dist/resolve/universe.js';

const realdata =
  process.env.APKGRAPH_REALDATA ?? join(import.meta.dirname, '..', '..', 'shared', 'realdata');
const ROUNDS = Number(process.env.ROUNDS ?? 5);

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let t = performance.now();
const index = await readApkIndexFile(
  join(realdata, 'apkindex/alpine/alpine-v3.22-main-x86_64.APKINDEX.tar.gz'),
  { allowUnsigned: true },
);
const parseMs = performance.now() - t;
t = performance.now();
const universe = buildUniverse(
  [{ url: 'https://dl-cdn.alpinelinux.org/alpine/v3.22/main', packages: index.packages }],
  {
    arch: 'x86_64',
  },
);
const buildMs = performance.now() - t;
const universes = new Map([['x86_64', universe]]);

const set = await loadModuleSet(join(realdata, 'modulesets/alpine-3.22'));
const modules = [];
for (const m of set.modules) {
  const config = parseApkoConfig(await readFile(m.apkoPath, 'utf8'), m.apkoPath);
  const devPackages = m.settings.dev
    ? [...set.settings.devPackages, ...m.settings.extraDevPackages]
    : undefined;
  modules.push({
    name: m.name,
    input: { config, universes, basePackages: set.settings.packages, devPackages },
  });
}

const rounds = [];
const cpuRounds = [];
let solves = [];
for (let r = 0; r < ROUNDS; r++) {
  const round = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (const m of modules) {
    let s = performance.now();
    const latest = lockLatest(m.input);
    round.push(performance.now() - s);
    if (m.input.devPackages) {
      s = performance.now();
      lockDev(latest, m.input);
      round.push(performance.now() - s);
    }
  }
  rounds.push(performance.now() - start);
  const cpu = process.cpuUsage(cpu0);
  cpuRounds.push((cpu.user + cpu.system) / 1000);
  solves = round;
}
const sorted = [...solves].sort((a, b) => a - b);
console.log(
  `index: ${index.packages.length} packages, parse ${parseMs.toFixed(0)} ms, universe ${buildMs.toFixed(0)} ms`,
);
console.log(`modules: ${modules.length}, solves per round: ${solves.length}`);
console.log(
  `round total (median of ${ROUNDS}): ${median(rounds).toFixed(0)} ms  [${rounds.map((x) => x.toFixed(0)).join(', ')}]`,
);
console.log(
  `round CPU time (median of ${ROUNDS}): ${median(cpuRounds).toFixed(0)} ms (wall time suffers when other processes share the cores)`,
);
console.log(
  `per solve (last round): p50 ${pct(sorted, 50).toFixed(2)} ms, p95 ${pct(sorted, 95).toFixed(2)} ms, max ${sorted[sorted.length - 1].toFixed(2)} ms`,
);
