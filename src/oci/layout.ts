/**
 * OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`).
 *
 * A layout holds one multi-arch index per tag. `index.json` names it with
 * `org.opencontainers.image.ref.name = <tag>` (what `skopeo inspect oci:DIR:<tag>` looks up)
 * and also lists each per-arch manifest as `<tag>-<arch>` (`latest-amd64`, `latest-arm-v7`),
 * because tools that unpack one image (umoci) need a name that leads to a single manifest.
 * The directory is filled under a temporary name and renamed into place.
 */
import { copyFile, link, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ApkgraphError, wrapError } from '../errors.js';
import { publishDirectory, writeFileAtomic } from '../util/atomic.js';
import type { ArchImageResult } from '../build/types.js';
import { blobPath, writeBlob, type BlobInfo } from './blob-writer.js';
import { indexJson, MEDIA_TYPES, type Descriptor } from './image-config.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Options of {@link writeImageLayout}. */
export interface LayoutOptions {
  /** The directory the per-arch builds wrote their blobs into. */
  blobsDir: string;
  /** Tag for the multi-arch index; defaults to `latest`. */
  tag?: string;
  /** Annotations of the multi-arch index. */
  annotations?: Record<string, string>;
}

/** What {@link writeImageLayout} wrote. */
export interface LayoutResult {
  /** Digest of the multi-arch index blob. */
  indexDigest: string;
  indexSize: number;
  tag: string;
}

function platformTag(p: ArchImageResult['platform']): string {
  return p.variant ? `${p.architecture}-${p.variant}` : p.architecture;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/** The index descriptor for one arch's manifest. */
export function manifestDescriptor(r: ArchImageResult): Descriptor {
  return {
    mediaType: MEDIA_TYPES.manifest,
    digest: r.manifestDigest,
    size: r.manifestSize,
    platform: {
      architecture: r.platform.architecture,
      os: r.platform.os,
      ...(r.platform.variant ? { variant: r.platform.variant } : {}),
    },
  };
}

/**
 * Writes an OCI layout at `outDir` holding the per-arch images in `results` (blobs taken from
 * `blobsDir`) under one multi-arch index, replacing whatever was at `outDir`.
 */
export async function writeImageLayout(
  outDir: string,
  results: readonly ArchImageResult[],
  options: LayoutOptions,
): Promise<LayoutResult> {
  const tag = options.tag ?? 'latest';
  if (!/^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*$/.test(tag)) {
    throw new ApkgraphError('ERR_OCI', `"${tag}" is not a valid OCI reference name`, {
      hint: 'use letters, digits and . _ - : @ + between them, e.g. latest or 1.2-dev',
    });
  }
  if (results.length === 0) {
    throw new ApkgraphError('ERR_OCI', 'no images to put in the layout', { path: outDir });
  }
  const sorted = [...results].sort((a, b) =>
    platformTag(a.platform) < platformTag(b.platform) ? -1 : 1,
  );
  let index: BlobInfo | undefined;
  try {
    await publishDirectory(outDir, async (tmp) => {
      const blobs = join(tmp, 'blobs', 'sha256');
      await mkdir(blobs, { recursive: true });
      for (const r of sorted) {
        for (const digest of [r.layerDigest, r.configDigest, r.manifestDigest]) {
          await linkOrCopy(blobPath(options.blobsDir, digest), blobPath(blobs, digest));
        }
      }
      index = await writeBlob(
        blobs,
        indexJson(sorted.map(manifestDescriptor), options.annotations),
      );
      const entries: Descriptor[] = [
        { mediaType: MEDIA_TYPES.index, ...index, annotations: { [REF_NAME]: tag } },
        ...sorted.map((r) => ({
          ...manifestDescriptor(r),
          annotations: { [REF_NAME]: `${tag}-${platformTag(r.platform)}` },
        })),
      ];
      await writeFileAtomic(
        join(tmp, 'oci-layout'),
        JSON.stringify({ imageLayoutVersion: '1.0.0' }),
      );
      await writeFileAtomic(
        join(tmp, 'index.json'),
        JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: entries }),
      );
    });
  } catch (err) {
    throw wrapError(`writing OCI layout ${outDir}`, err, 'ERR_OCI', { path: outDir });
  }
  const done = index as BlobInfo;
  return { indexDigest: done.digest, indexSize: done.size, tag };
}

/** Lists the blob digests present in a layout (for tests and checks). */
export async function listBlobs(layoutDir: string): Promise<string[]> {
  const names = await readdir(join(layoutDir, 'blobs', 'sha256'));
  return names
    .filter((n) => /^[0-9a-f]{64}$/.test(n))
    .map((n) => `sha256:${n}`)
    .sort();
}
