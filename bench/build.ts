/**
 * Build benchmark: one large synthetic image, built by apkgraph, against `tar -c | gzip -6` of
 * the same root filesystem on this machine (the floor any layer writer pays), plus the peak RSS
 * of the process that builds.
 *
 *   npm run bench:build            # 150 packages, ~300 MB installed
 *   APKGRAPH_BENCH_MB=50 npm run bench:build
 *
 * The build runs in a child process so its peak RSS is its own; the baseline extracts our layer
 * into a directory and times tar+gzip over it, so both sides compress identical bytes.
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

async function child(requestPath: string, blobsDir: string): Promise<void> {
  const req = JSON.parse(await readFile(requestPath, 'utf8')) as BuildRequest;
  const start = process.hrtime.bigint();
  const result = await buildArchImage(req, { blobsDir });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage();
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

    const run = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', requestPath, blobsDir],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) throw new Error(`build failed: ${run.stderr}`);
    const out = JSON.parse(run.stdout) as {
      ms: number;
      cpuMs: number;
      maxRssMb: number;
      result: { layerDigest: string; layerSize: number; entries: number };
    };

    const rootfs = join(dir, 'rootfs');
    await mkdir(rootfs);
    const layer = join(blobsDir, out.result.layerDigest.slice(7));
    execFileSync('tar', ['-xzf', layer, '-C', rootfs]);
    // /usr/bin/time reports the CPU of the shell and the tar and gzip it waits for.
    const timed = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%e %U %S',
        'sh',
        '-c',
        'tar -c -C "$1" . | gzip -6 > "$2"',
        'sh',
        rootfs,
        join(dir, 'baseline.tar.gz'),
      ],
      { encoding: 'utf8' },
    );
    const [wall, user, sys] = (timed.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
    const baseMs = (wall ?? NaN) * 1000;
    const baseCpuMs = ((user ?? NaN) + (sys ?? NaN)) * 1000;
    const installedMb = Number(
      execFileSync('du', ['-sm', '--apparent-size', rootfs], { encoding: 'utf8' }).split('\t')[0],
    );
    const idle = spawnSync(
      process.execPath,
      ['-e', 'console.log(process.resourceUsage().maxRSS/1024)'],
      { encoding: 'utf8' },
    );

    const ratio = out.ms / baseMs;
    const cpuRatio = out.cpuMs / baseCpuMs;
    console.log(
      `installed:       ${installedMb} MB in ${out.result.entries} entries, ${count} packages`,
    );
    console.log(`layer:           ${(out.result.layerSize / 1048576).toFixed(1)} MB gzip`);
    console.log(
      `apkgraph build:  ${(out.ms / 1000).toFixed(2)} s (gunzip packages, hash, spool, tar, gzip -6, sha256)`,
    );
    console.log(`tar | gzip -6:   ${(baseMs / 1000).toFixed(2)} s`);
    console.log(
      `CPU (user+sys):  apkgraph ${(out.cpuMs / 1000).toFixed(2)} s, tar|gzip ${(baseCpuMs / 1000).toFixed(2)} s`,
    );
    console.log(`ratio, wall:     ${ratio.toFixed(2)} (target <= ${TARGET_RATIO})`);
    console.log(
      `ratio, CPU:      ${cpuRatio.toFixed(2)} (steadier than wall time on a busy machine)`,
    );
    console.log(
      `peak RSS:        ${out.maxRssMb.toFixed(0)} MB (an idle node process: ${Number(idle.stdout).toFixed(0)} MB)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
