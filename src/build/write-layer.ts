/**
 * Writes a {@link FileTree} as one gzip-compressed layer blob.
 *
 * Entries go out in sorted path order with every time clamped to the build date, so the layer
 * depends only on the tree, never on install history, the spool layout or the host. Hardlink
 * groups are written with the body on the path that sorts first and links on the others,
 * because a tar reader must meet a link's target before the link.
 */
import { throwIfAborted } from '../errors.js';
import { GzipBlobWriter, type LayerBlobInfo } from '../oci/blob-writer.js';
import { encodeTarHeader, TAR_END, tarPadding, type TarHeader } from '../tar/tar-encoder.js';
import type { FileTree, TreeNode } from './file-tree.js';
import type { BodySpool } from './spool.js';

/** Small writes are batched so gzip sees fewer, larger chunks. */
const BATCH_BYTES = 256 * 1024;

/** For each hardlink group (keyed by target path), the path that carries the body. */
function hardlinkPrimaries(tree: FileTree, sorted: readonly string[]): Map<string, string> {
  const primary = new Map<string, string>();
  for (const path of sorted) {
    const node = tree.get(path);
    if (node?.type !== 'link' || node.linkname === undefined) continue;
    const target = tree.get(node.linkname);
    // A link whose target was replaced by other content is written as a plain copy.
    if (target?.type !== 'file' || target.sha1 !== node.sha1) continue;
    const current = primary.get(node.linkname);
    const first = current === undefined || path < current ? path : current;
    primary.set(node.linkname, first < node.linkname ? first : node.linkname);
  }
  return primary;
}

/** Writes the layer for `tree` into `blobsDir`; returns its digests and entry count. */
export async function writeLayer(
  tree: FileTree,
  spool: BodySpool,
  blobsDir: string,
  options: { mtime: number; scratchDir?: string; signal?: AbortSignal },
): Promise<LayerBlobInfo & { entries: number }> {
  const sorted = tree.sortedPaths();
  const primaries = hardlinkPrimaries(tree, sorted);
  const writer = await GzipBlobWriter.open(blobsDir, options.scratchDir);
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async (): Promise<void> => {
    if (batched === 0) return;
    const data = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    await writer.write(data, options.signal);
  };
  const push = async (buf: Buffer): Promise<void> => {
    if (buf.length >= BATCH_BYTES) {
      await flush();
      await writer.write(buf, options.signal);
      return;
    }
    batch.push(buf);
    batched += buf.length;
    if (batched >= BATCH_BYTES) await flush();
  };

  try {
    for (const path of sorted) {
      throwIfAborted(options.signal);
      const node = tree.get(path) as TreeNode;
      let header = headerFor(path, node, options.mtime);
      let body = node.type === 'file' ? node.body : undefined;

      if (node.type === 'link') {
        const target = node.linkname ?? '';
        const primary = primaries.get(target);
        const targetNode = tree.get(target);
        if (primary === undefined || targetNode === undefined) {
          // Target gone or changed: the link becomes a file with the content it had.
          header = { ...header, type: 'file', linkname: undefined, size: node.size };
          body = node.body;
        } else if (primary === path) {
          header = { ...headerFor(path, targetNode, options.mtime), size: targetNode.size };
          body = targetNode.body;
        } else {
          header = { ...header, linkname: primary };
        }
      } else if (node.type === 'file' && primaries.has(path) && primaries.get(path) !== path) {
        header = { ...header, type: 'link', linkname: primaries.get(path), size: 0 };
        body = undefined;
      }

      await push(encodeTarHeader(header));
      if (header.type !== 'file' || !body || body.kind === 'empty') continue;
      if (body.kind === 'inline') {
        await push(body.data);
      } else {
        for await (const chunk of spool.read(body.offset, body.size)) await push(chunk);
      }
      await push(tarPadding(header.size));
    }
    await push(TAR_END);
    await flush();
    return { ...(await writer.finish()), entries: sorted.length };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

function headerFor(path: string, node: TreeNode, buildDate: number): TarHeader {
  const header: TarHeader = {
    name: path,
    type: node.type,
    mode: node.mode,
    uid: node.uid,
    gid: node.gid,
    size: node.type === 'file' ? node.size : 0,
    mtime: Math.min(node.mtime, buildDate),
  };
  if (node.linkname !== undefined) header.linkname = node.linkname;
  if (node.devmajor !== undefined) header.devmajor = node.devmajor;
  if (node.devminor !== undefined) header.devminor = node.devminor;
  if (node.xattrs) header.pax = node.xattrs;
  return header;
}
