/**
 * The JSON documents of an OCI image: the image config and the manifest.
 *
 * Both are serialised with a fixed key order and no whitespace, so equal inputs give equal
 * digests. Field choices follow apko: a default `PATH` when the config sets none, the
 * entrypoint split into words like a shell would, `created` set to the build date.
 */
import { ApkgraphError } from '../errors.js';
import type { ImageSpec, OciPlatform } from '../build/types.js';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The PATH apko sets when the image config has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
}

/** Splits a command line into words: whitespace separates, quotes and backslashes group. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i] as string;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + (line[++i] as string);
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) {
    throw new ApkgraphError('ERR_CONFIG', `unterminated ${quote} quote in command "${line}"`, {
      hint: 'close the quote in the entrypoint or cmd of the image config',
    });
  }
  if (word !== undefined) words.push(word);
  return words;
}

function sortedRecord<T>(rec: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!rec || Object.keys(rec).length === 0) return undefined;
  return Object.fromEntries(Object.entries(rec).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The image config document for one architecture. */
export function imageConfigJson(opts: {
  platform: OciPlatform;
  image: ImageSpec;
  diffId: string;
  created: number;
}): string {
  const { image } = opts;
  const env = { PATH: DEFAULT_PATH, ...(image.environment ?? {}) };
  const config: Record<string, unknown> = {
    Env: Object.entries(sortedRecord(env) ?? {}).map(([k, v]) => `${k}=${v}`),
  };
  const fragment = image.entrypoint?.['shell-fragment'];
  if (fragment !== undefined) config.Entrypoint = ['/bin/sh', '-c', fragment];
  else if (image.entrypoint?.command) config.Entrypoint = splitWords(image.entrypoint.command);
  if (image.cmd) config.Cmd = splitWords(image.cmd);
  if (image.workDir) config.WorkingDir = image.workDir;
  const user = image.accounts?.['run-as'];
  if (user) config.User = user;
  if (image.volumes && image.volumes.length > 0) {
    config.Volumes = Object.fromEntries([...new Set(image.volumes)].sort().map((v) => [v, {}]));
  }
  if (image.stopSignal) config.StopSignal = image.stopSignal;

  const created = new Date(opts.created * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const doc = {
    created,
    architecture: opts.platform.architecture,
    ...(opts.platform.variant ? { variant: opts.platform.variant } : {}),
    os: opts.platform.os,
    config,
    rootfs: { type: 'layers', diff_ids: [opts.diffId] },
    history: [{ created, created_by: 'apkgraph', comment: 'packages installed by apkgraph' }],
  };
  return JSON.stringify(doc);
}

/** The manifest document for one architecture. */
export function manifestJson(opts: {
  config: { digest: string; size: number };
  layer: { digest: string; size: number };
  annotations?: Record<string, string>;
}): string {
  const annotations = sortedRecord(opts.annotations);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: MEDIA_TYPES.config, ...opts.config },
    layers: [{ mediaType: MEDIA_TYPES.layerGzip, ...opts.layer }],
    ...(annotations ? { annotations } : {}),
  });
}

/** An image index document listing `manifests`. */
export function indexJson(manifests: Descriptor[], annotations?: Record<string, string>): string {
  const sorted = sortedRecord(annotations);
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests,
    ...(sorted ? { annotations: sorted } : {}),
  });
}
