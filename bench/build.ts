/**
 * Build benchmark: one large synthetic image, built by apkgraph, against `tar -c | gzip -6` of
 * the same root filesystem on this machine (the floor any layer writer pays), plus the peak RSS
 * of the process that builds.
 *
 *   npm run bench:build            # 150 packages, ~300 MB installed, 5 runs
 *   APKGRAPH_BENCH_MB=50 APKGRAPH_BENCH_RUNS=3 npm run bench:build
 *
 * The build runs in a child process so its peak RSS is its own; the baseline extracts our layer
 * into a directory and times tar+gzip over it, so both sides compress identical bytes. The two
 * alternate for several runs and the medians are reported, the ratio as the median of the
 * per-run ratios. Every run must give the same layer digest.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildArchImage } from '../src/build/build-arch-image.js';
import type { BuildRequest } from '../src/build/types.js';
import { PayloadGenerator } from '../src/synth/content.js';
import { writeFixturePackage, type FixtureFile } from '../test/build-fixtures.js';

const TARGET_RATIO = 1.3;

async function makeRequest(dir: string, totalMb: number, count: number): Promise<BuildRequest> {
  const gen = new PayloadGenerator('apkgraph-bench-build');
  const perPackage = Math.floor((totalMb * 1024 * 1024) / count);
  const packages = [];
  for (let i = 0; i < count; i++) {
    const name = `bench-pkg-${String(i).padStart(3, '0')}`;
    const files: FixtureFile[] = [{ name: `usr/share/${name}/` }];
    let left = perPackage;
    for (let f = 0; left > 0; f++) {
      // Sizes from 512 B to 256 KiB, like a mix of scripts, data files and small libraries.
      const size = Math.min(left, 512 << ((f * 7 + i) % 10));
      files.push({ name: `usr/share/${name}/file-${f}.bin`, data: gen.next(size) });
      left -= size;
    }
    files.push({ name: `usr/bin/${name}`, mode: 0o755, data: gen.next(64 * 1024) });
    packages.push(await writeFixturePackage(dir, { name, files }));
  }
  return {
    arch: 'x86_64',
    image: {},
    packages,
    world: packages.map((p) => p.name),
    repositories: [],
    keys: [],
    sourceDateEpoch: 1_700_000_000,
  };
}

interface ChildOutput {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  result: { layerDigest: string; layerSize: number; entries: number };
}

interface Sample {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
  baseMs: number;
  baseCpuMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One build in a fresh process, so its peak RSS is its own. */
function buildOnce(requestPath: string, blobsDir: string): ChildOutput {
  const run = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', requestPath, blobsDir],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildOutput;
}

/** `tar -c | gzip -6` over `rootfs`; /usr/bin/time counts the shell, tar and gzip. */
function baselineOnce(rootfs: string, outPath: string): { baseMs: number; baseCpuMs: number } {
  const timed = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %U %S', 'sh', '-c', 'tar -c -C "$1" . | gzip -6 > "$2"', 'sh', rootfs, outPath],
    { encoding: 'utf8' },
  );
  const [wall, user, sys] = (timed.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { baseMs: (wall ?? NaN) * 1000, baseCpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000 };
}

async function child(requestPath: string, blobsDir: string): Promise<void> {
  const req = JSON.parse(await readFile(requestPath, 'utf8')) as BuildRequest;
  // The build's own CPU, across all threads; starting node and loading modules is not counted,
  // as a long-lived build worker pays it once.
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await buildArchImage(req, { blobsDir });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    JSON.stringify({ ms, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, result }) + '\n',
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '', process.argv[4] ?? '');
  const totalMb = Number(process.env.APKGRAPH_BENCH_MB ?? 300);
  const count = Number(process.env.APKGRAPH_BENCH_PACKAGES ?? 150);
  const dir = await mkdtemp(join(tmpdir(), 'apkgraph-bench-build-'));
  try {
    console.log(`generating ${count} packages, ~${totalMb} MB installed …`);
    const req = await makeRequest(dir, totalMb, count);
    const requestPath = join(dir, 'request.json');
    await writeFile(requestPath, JSON.stringify(req));
    const blobsDir = join(dir, 'blobs');

    const runs = Number(process.env.APKGRAPH_BENCH_RUNS ?? 5);
    const rootfs = join(dir, 'rootfs');
    const samples: Sample[] = [];
    let first: ChildOutput | undefined;
    for (let r = 0; r < runs; r++) {
      // Alternate the two sides so a change in machine load hits both alike.
      const out = buildOnce(requestPath, blobsDir);
      if (!first) {
        first = out;
        await mkdir(rootfs);
        const layer = join(blobsDir, out.result.layerDigest.slice(7));
        execFileSync('tar', ['-xzf', layer, '-C', rootfs]);
      } else if (out.result.layerDigest !== first.result.layerDigest) {
        throw new Error('two builds of the same request gave different layers');
      }
      await rm(blobsDir, { recursive: true, force: true });
      const base = baselineOnce(rootfs, join(dir, 'baseline.tar.gz'));
      samples.push({ ...base, ms: out.ms, cpuMs: out.cpuMs, maxRssMb: out.maxRssMb });
      console.log(
        `run ${r + 1}/${runs}: apkgraph ${(out.ms / 1000).toFixed(2)} s ` +
          `(CPU ${(out.cpuMs / 1000).toFixed(2)} s), tar|gzip ${(base.baseMs / 1000).toFixed(2)} s ` +
          `(CPU ${(base.baseCpuMs / 1000).toFixed(2)} s)`,
      );
    }
    const out = first as ChildOutput;
    const installedMb = Number(
      execFileSync('du', ['-sm', '--apparent-size', rootfs], { encoding: 'utf8' }).split('\t')[0],
    );
    const idle = spawnSync(
      process.execPath,
      ['-e', 'console.log(process.resourceUsage().maxRSS/1024)'],
      { encoding: 'utf8' },
    );

    const ms = median(samples.map((x) => x.ms));
    const cpuMs = median(samples.map((x) => x.cpuMs));
    const baseMs = median(samples.map((x) => x.baseMs));
    const baseCpuMs = median(samples.map((x) => x.baseCpuMs));
    const ratio = median(samples.map((x) => x.ms / x.baseMs));
    const cpuRatio = median(samples.map((x) => x.cpuMs / x.baseCpuMs));
    const maxRss = Math.max(...samples.map((x) => x.maxRssMb));
    console.log(`\nmedians of ${runs} runs`);
    console.log(
      `installed:       ${installedMb} MB in ${out.result.entries} entries, ${count} packages`,
    );
    console.log(`layer:           ${(out.result.layerSize / 1048576).toFixed(1)} MB gzip`);
    console.log(
      `apkgraph build:  ${(ms / 1000).toFixed(2)} s (gunzip packages, hash, spool, tar, gzip -6, sha256)`,
    );
    console.log(`tar | gzip -6:   ${(baseMs / 1000).toFixed(2)} s`);
    console.log(
      `CPU (user+sys):  apkgraph ${(cpuMs / 1000).toFixed(2)} s, tar|gzip ${(baseCpuMs / 1000).toFixed(2)} s`,
    );
    console.log(`ratio, wall:     ${ratio.toFixed(2)} (target <= ${TARGET_RATIO})`);
    console.log(
      `ratio, CPU:      ${cpuRatio.toFixed(2)} (the work done; the wall ratio gains from gzip on several threads)`,
    );
    console.log(
      `peak RSS:        ${maxRss.toFixed(0)} MB, highest of the runs (an idle node process: ${Number(idle.stdout).toFixed(0)} MB)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
