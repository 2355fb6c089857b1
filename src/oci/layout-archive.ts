/**
 * An OCI layout as one tar file (`oci-archive`), for `--tarball`: what `skopeo copy
 * oci-archive:FILE …` and `podman load` read. Entries are sorted with zero times, so the same
 * layout always gives the same archive; the file appears under its final name only when done.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { wrapError } from '../errors.js';
import { createAtomicWriteStream } from '../util/atomic.js';
import { GuardedWriter } from '../util/guarded-writer.js';
import { encodeTarHeader, TAR_END, tarPadding } from '../tar/tar-encoder.js';

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(`${path}/`, ...(await listFiles(root, path)));
    else if (e.isFile()) out.push(path);
  }
  return out;
}

/** Writes the layout at `layoutDir` as an uncompressed tar at `tarPath`. */
export async function writeLayoutArchive(layoutDir: string, tarPath: string): Promise<void> {
  const out = await createAtomicWriteStream(tarPath);
  const writer = new GuardedWriter(out.stream);
  const write = (buf: Buffer): Promise<void> => writer.write(buf);
  try {
    for (const path of await listFiles(layoutDir)) {
      const isDir = path.endsWith('/');
      const name = isDir ? path.slice(0, -1) : path;
      const size = isDir ? 0 : (await stat(join(layoutDir, name))).size;
      const type = isDir ? 'directory' : 'file';
      const mode = isDir ? 0o755 : 0o644;
      await write(encodeTarHeader({ name, type, mode, uid: 0, gid: 0, size, mtime: 0 }));
      if (isDir) continue;
      for await (const chunk of createReadStream(join(layoutDir, name)))
        await write(chunk as Buffer);
      await write(tarPadding(size));
    }
    await write(TAR_END);
    await writer.end();
    await out.commit();
  } catch (err) {
    await out.abort();
    throw wrapError(`writing OCI archive ${tarPath}`, err, 'ERR_OCI', { path: tarPath });
  }
}
