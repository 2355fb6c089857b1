/**
 * Small repositories built in code, for the cache, fetch and serve tests and the benchmarks:
 * real APK v2 packages (the formats writer) and an unsigned APKINDEX, laid out as
 * `<dir>/<arch>/…` so the repository server or a file:// URL can serve them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeApkIndex } from '../apk/apkindex-file.js';
import { writeApk } from '../apk/apk-writer.js';
import type { PackageRecord } from '../apk/types.js';

export interface FixturePackage {
  name: string;
  version: string;
  /** Bytes of payload; content is derived from the name so every package differs. */
  payloadBytes?: number;
}

/** Writes the packages and an unsigned index; returns the index records. */
export async function writeFixtureRepo(
  dir: string,
  arch: string,
  pkgs: readonly FixturePackage[],
): Promise<PackageRecord[]> {
  const archDir = join(dir, arch);
  await mkdir(archDir, { recursive: true });
  const records: PackageRecord[] = [];
  for (const p of pkgs) {
    // Pseudo-random bytes (xorshift seeded by the name) so gzip cannot shrink the payload:
    // tests that cut bodies in half need packages of the size they asked for.
    let x = 2166136261;
    for (const ch of `${p.name}-${p.version}`) x = Math.imul(x ^ ch.charCodeAt(0), 16777619);
    const content = Buffer.alloc(p.payloadBytes ?? 4096);
    for (let i = 0; i < content.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      content[i] = x & 255;
    }
    const { bytes, record } = writeApk({
      pkginfo: [
        ['pkgname', p.name],
        ['pkgver', p.version],
        ['arch', arch],
        ['pkgdesc', `fixture ${p.name}`],
      ],
      files: [{ path: `usr/share/${p.name}/payload`, content }],
    });
    await writeFile(join(archDir, `${p.name}-${p.version}.apk`), bytes);
    records.push(record);
  }
  await writeFile(join(archDir, 'APKINDEX.tar.gz'), writeApkIndex({ packages: records }));
  return records;
}

/** `count` packages named `pkg-<i>`. */
export function fixturePackages(count: number, payloadBytes = 2048): FixturePackage[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `pkg-${i}`,
    version: '1.0.0-r0',
    payloadBytes,
  }));
}
