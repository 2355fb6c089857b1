/**
 * `repo synth`: a signed repository of valid APKs generated from a real APKINDEX.
 *
 * Every record of the source index becomes an .apk with the same name, version, arch,
 * dependencies, provides, origin, install_if and provider priority, whose file is about the
 * record's `S:` × scale bytes of deterministic content that compresses like real binaries. The
 * mirror's APKINDEX is rebuilt from the written packages (so `C:` and `S:` match the files) and
 * signed. Same input and key, same bytes: benchmarks can regenerate a mirror instead of storing it.
 *
 * Packages are generated in parallel by a small worker pool when there are enough of them to
 * pay for starting it; each task writes one .apk (temp name, then rename) and returns its index
 * record, and the index is written last, so an interrupted run never leaves an index that names
 * missing files.
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readApkIndex, writeApkIndex } from '../apk/apkindex-file.js';
import type { PackageRecord } from '../apk/types.js';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { loadModuleSet } from '../moduleset/load.js';
import { writeFileAtomic } from '../util/atomic.js';
import { createSynthPool, type SynthPool } from './pool.js';
import { selectNeeded, unknownNames, worldNamesOf } from './select.js';
import { mirrorSigningKey } from './signing-key.js';

/** Options of {@link synthRepository}. */
export interface SynthOptions {
  /** The source index: APKINDEX.tar.gz (signed or not) or plain APKINDEX text. */
  from: string;
  /** The repository folder; `<arch>/` is created inside. */
  out: string;
  /** Compressed size of each package as a share of its record's `S:`. Default 0.1. */
  scale?: number;
  /** A PEM private key (`name.rsa`); default: the mirror's own key, generated once. */
  keyPath?: string;
  /** Which arch to generate; default the index's only arch. `noarch` records always come along. */
  arch?: string;
  /** Generate only what this module set can install (see select.ts). */
  onlyNeededBy?: string;
  /** Parallel generators; default the number of CPUs. 1 generates in this thread. */
  concurrency?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** What {@link synthRepository} wrote. */
export interface SynthSummary {
  arch: string;
  /** Records in the source index, and how many were generated. */
  sourcePackages: number;
  packages: number;
  /** Σ S × scale over the generated records. */
  targetBytes: number;
  /** Σ size of the written .apk files. */
  apkBytes: number;
  keyName: string;
  publicKeyPath: string;
  indexPath: string;
  /** Wall time, whole milliseconds. */
  elapsedMs: number;
}

/** Reads the source index, gzip (signed or not) or plain text; the signature is not checked. */
export async function readSourceIndex(
  path: string,
): Promise<{ packages: PackageRecord[]; description?: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ApkgraphError('ERR_IO', `cannot read index ${path}`, {
      path,
      hint: 'pass an APKINDEX.tar.gz or a plain-text APKINDEX',
      cause: err,
    });
  }
  const index = readApkIndex(bytes, { source: path, allowUnsigned: true });
  return index.description === undefined
    ? { packages: index.packages }
    : { packages: index.packages, description: index.description };
}

/** The arch to generate: the requested one, or the index's only one. */
export function pickArch(
  records: readonly PackageRecord[],
  requested: string | undefined,
  source: string,
): string {
  const arches = [...new Set(records.map((r) => r.arch).filter((a) => a !== 'noarch'))].sort();
  if (requested !== undefined) {
    if (!arches.includes(requested)) {
      throw new ApkgraphError(
        'ERR_USAGE',
        `index ${source} has no packages for arch ${requested}`,
        {
          path: source,
          hint: `it has ${arches.join(', ') || 'only noarch packages'}`,
        },
      );
    }
    return requested;
  }
  if (arches.length !== 1) {
    throw new ApkgraphError(
      'ERR_USAGE',
      `index ${source} holds ${arches.length} arches (${arches.join(', ')})`,
      {
        path: source,
        hint: 'pick one with --arch',
      },
    );
  }
  return arches[0]!;
}

/** Generates the repository; see the module comment. */
export async function synthRepository(options: SynthOptions): Promise<SynthSummary> {
  const started = performance.now();
  const logger = options.logger ?? nullLogger;
  const { signal } = options;
  const scale = options.scale ?? 0.1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new ApkgraphError('ERR_USAGE', `--scale must be a positive number, got ${scale}`);
  }
  const out = resolve(options.out);
  const source = await readSourceIndex(options.from);
  const arch = pickArch(source.packages, options.arch, options.from);
  let records = source.packages.filter((r) => r.arch === arch || r.arch === 'noarch');
  if (options.onlyNeededBy !== undefined) {
    const set = await loadModuleSet(options.onlyNeededBy, signal ? { signal } : {});
    const names = worldNamesOf(set);
    const unknown = unknownNames(records, names);
    if (unknown.length > 0) {
      logger.warn('the module set asks for names the index does not have', { names: unknown });
    }
    records = selectNeeded(records, names);
    logger.info('selected the packages the module set can install', {
      set: set.dir,
      packages: records.length,
      of: source.packages.length,
    });
  }
  throwIfAborted(signal);
  const key = await mirrorSigningKey(out, options.keyPath);
  const archDir = join(out, arch);
  const jobs = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), records.length));
  const pool: SynthPool = createSynthPool(jobs);
  const written: PackageRecord[] = new Array<PackageRecord>(records.length);
  let apkBytes = 0;
  let targetBytes = 0;
  try {
    let next = 0;
    // After one failure the other loops stop taking tasks, so none runs on a closing pool.
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < records.length && !failed) {
        throwIfAborted(signal);
        const i = next++;
        const r = records[i]!;
        targetBytes += Math.round((r.size ?? 0) * scale);
        try {
          const res = await pool.run({ record: r, scale, archDir, key }, signal);
          written[i] = res.record;
          apkBytes += res.size;
        } catch (err) {
          failed = true;
          throw wrapError(`generating ${r.name}-${r.version}`, err, 'ERR_IO', {
            package: `${r.name}-${r.version}`,
          });
        }
        if ((i + 1) % 100 === 0)
          logger.verbose('generated packages', { done: i + 1, of: records.length });
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    await pool.close();
  }
  const indexPath = join(archDir, 'APKINDEX.tar.gz');
  const description =
    `apkgraph synthetic mirror of ${source.description ?? basename(options.from)} ` +
    `(scale ${scale})`;
  await writeFileAtomic(indexPath, writeApkIndex({ packages: written, description, key }));
  const summary: SynthSummary = {
    arch,
    sourcePackages: source.packages.length,
    packages: records.length,
    targetBytes,
    apkBytes,
    keyName: key.name,
    publicKeyPath: join(out, key.name),
    indexPath,
    elapsedMs: Math.round(performance.now() - started),
  };
  // Verbose: the command prints the same summary on stdout, and run's demo repository
  // generation calls this once per arch.
  logger.verbose('wrote synthetic repository', { ...summary });
  return summary;
}
