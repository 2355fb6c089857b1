/**
 * Builds one architecture's image from locked, expanded packages: install the data trees in
 * order, add apk's files, accounts and path mutations, write the layer, then the config and
 * manifest blobs. Every blob lands in `blobsDir` under its digest; nothing else is left behind.
 */
import type { Readable } from 'node:stream';
import { toOciPlatform } from '../apk/arch.js';
import { gunzipAhead } from '../apk/data-tar.js';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import { writeBlob } from '../oci/blob-writer.js';
import { imageConfigJson, manifestJson } from '../oci/image-config.js';
import { FileTree, type OwnerInfo } from './file-tree.js';
import { applyImageSpec, TreeEditor, writeApkFiles } from './generated-files.js';
import { installPackage, type InstalledFiles } from './install-package.js';
import { renderInstalledDb } from './installed-db.js';
import { BodySpool } from './spool.js';
import type { ArchImageResult, BuildPackage, BuildRequest } from './types.js';
import { writeLayer } from './write-layer.js';

/** Packages decompressing while an earlier one installs, and the tar each may hold ready. */
const PACKAGES_AHEAD = 2;
const AHEAD_BYTES = 8 * 1024 * 1024;

/** Options of {@link buildArchImage}. */
export interface BuildOptions {
  /** A `blobs/sha256`-style directory that receives the layer, config and manifest. */
  blobsDir: string;
  /**
   * Where the body spool and the layer's temporary file go; defaults to `blobsDir`. Must be on
   * the same filesystem as `blobsDir`. A pool gives each task its own, and removes it after.
   */
  scratchDir?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The build date: SOURCE_DATE_EPOCH when given, else the newest package build time (apko's
 * rule), else the newest file time seen, so the date never depends on the clock.
 */
export function buildDate(req: BuildRequest, newestMtime: number): number {
  if (req.sourceDateEpoch !== undefined) return req.sourceDateEpoch;
  const newestBuild = Math.max(0, ...req.packages.map((p) => p.buildTime ?? 0));
  return newestBuild > 0 ? newestBuild : newestMtime;
}

/** Builds the image for `req.arch` and returns its digests. */
export async function buildArchImage(
  req: BuildRequest,
  options: BuildOptions,
): Promise<ArchImageResult> {
  const logger = options.logger ?? nullLogger;
  const { signal } = options;
  throwIfAborted(signal);
  const platform = toOciPlatform(req.arch);
  for (const p of req.packages) {
    if (p.arch !== req.arch && p.arch !== 'noarch') {
      throw new ApkgraphError(
        'ERR_ARCH_MISMATCH',
        `package ${p.name}-${p.version} is for ${p.arch}, but the image is for ${req.arch}`,
        { package: `${p.name}-${p.version}`, hint: 'lock the config again for this architecture' },
      );
    }
  }

  const tree = new FileTree();
  const spool = await BodySpool.create(options.scratchDir ?? options.blobsDir).catch(
    (err: unknown) => {
      throw wrapError('creating the build spool', err, 'ERR_IO');
    },
  );
  try {
    const owners: OwnerInfo[] = req.packages.map((p) => ({
      name: p.name,
      version: p.version,
      replaces: p.replaces,
      ...(p.origin === undefined ? {} : { origin: p.origin }),
    }));
    const installed: InstalledFiles[] = [];
    // Packages install one after the other, but the next ones decompress meanwhile on other
    // threads, so the install runs at the speed of the tree work rather than of gunzip.
    const ahead = new Map<number, Readable>();
    const startAhead = (upTo: number): void => {
      for (let j = installed.length; j <= Math.min(upTo, req.packages.length - 1); j++) {
        if (!ahead.has(j)) {
          ahead.set(j, gunzipAhead((req.packages[j] as BuildPackage).dataPath, AHEAD_BYTES));
        }
      }
    };
    try {
      for (const [i, p] of req.packages.entries()) {
        startAhead(i + PACKAGES_AHEAD);
        const tar = ahead.get(i) as Readable;
        ahead.delete(i);
        installed.push(await installPackage(tree, spool, p.dataPath, i, owners, { signal, tar }));
        logger.debug('installed package', {
          package: `${p.name}-${p.version}`,
          files: installed[i]?.paths.length,
        });
      }
    } finally {
      for (const stream of ahead.values()) stream.destroy();
    }
    await spool.seal();

    const created = buildDate(req, Math.max(0, ...installed.map((f) => f.newestMtime)));
    const editor = new TreeEditor(tree, spool, created);
    writeApkFiles(editor, {
      arch: req.arch,
      world: req.world,
      repositories: req.repositories,
      keys: req.keys,
      installedDb: renderInstalledDb(tree, req.packages, installed),
    });
    await applyImageSpec(editor, req.image);
    throwIfAborted(signal);

    const layer = await writeLayer(tree, spool, options.blobsDir, {
      mtime: created,
      signal,
      ...(options.scratchDir === undefined ? {} : { scratchDir: options.scratchDir }),
    });
    const config = await writeBlob(
      options.blobsDir,
      imageConfigJson({ platform, image: req.image, diffId: layer.diffId, created }),
    );
    const annotations = { ...(req.image.annotations ?? {}) };
    const manifest = await writeBlob(
      options.blobsDir,
      manifestJson({ config, layer: { digest: layer.digest, size: layer.size }, annotations }),
    );
    logger.verbose('built image', {
      arch: req.arch,
      manifest: manifest.digest,
      entries: layer.entries,
    });
    return {
      arch: req.arch,
      platform,
      manifestDigest: manifest.digest,
      manifestSize: manifest.size,
      configDigest: config.digest,
      configSize: config.size,
      layerDigest: layer.digest,
      layerSize: layer.size,
      diffId: layer.diffId,
      created,
      annotations,
      entries: layer.entries,
    };
  } catch (err) {
    throw wrapError(`building the ${req.arch} image`, err, 'ERR_BUILD');
  } finally {
    await spool.dispose();
  }
}
