import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ApkgraphError } from '../errors.js';
import { splitApk } from './apk-reader.js';
import { writeApk } from './apk-writer.js';
import { sha256Hex } from './checksum.js';
import { generateSigningKey } from './keys.js';

const key = generateSigningKey('k');
const { bytes, record } = writeApk({
  pkginfo: [
    ['pkgname', 'split'],
    ['pkgver', '1-r0'],
    ['arch', 'aarch64'],
  ],
  files: [{ path: 'etc/split.conf', content: 'x'.repeat(70_000) }],
  key,
});

function* chunks(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(stream: PassThrough): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('splitApk', () => {
  it('finds the three sections whatever the chunk size', async () => {
    for (const size of [1, 7, 512, 65536, bytes.length]) {
      const s = await splitApk(chunks(bytes, size));
      expect(s.control.checksum).toBe(record.checksum);
      expect(s.signature?.keyName).toBe('k.rsa.pub');
      expect(s.datahashMatches).toBe(true);
      expect(s.fileSize).toBe(bytes.length);
      expect((s.signature?.bytes.length ?? 0) + s.control.bytes.length + s.data.size).toBe(
        bytes.length,
      );
    }
  });

  it('copies each section to its sink, and the copies concatenate to the file', async () => {
    const sinks = {
      signature: new PassThrough(),
      control: new PassThrough(),
      data: new PassThrough(),
    };
    const outs = [collect(sinks.signature), collect(sinks.control), collect(sinks.data)];
    const s = await splitApk(chunks(bytes, 4096), sinks);
    const [sig, ctl, data] = await Promise.all(outs);
    expect(Buffer.concat([sig!, ctl!, data!]).equals(Buffer.from(bytes))).toBe(true);
    expect(sha256Hex(data!)).toBe(s.data.sha256Hex);
    expect(s.pkginfo.get('datahash')).toBe(s.data.sha256Hex);
  });

  it('reports a file that ends inside the control section', async () => {
    const whole = await splitApk([bytes]);
    const head = (whole.signature?.bytes.length ?? 0) + whole.control.bytes.length;
    const err = await splitApk([bytes.subarray(0, head - 5)], {}, { source: 'cut.apk' }).catch(
      (e: unknown) => e,
    );
    expect((err as ApkgraphError).code).toBe('ERR_APK_FORMAT');
    expect((err as Error).message).toMatch(/cut.apk ends before its control section/);
  });

  it('enforces the data size limit', async () => {
    const err = await splitApk([bytes], {}, { maxDataBytes: 10 }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_SIZE_LIMIT');
  });

  it('enforces the control size limit', async () => {
    const err = await splitApk(chunks(bytes, 100), {}, { maxControlBytes: 200 }).catch(
      (e: unknown) => e,
    );
    expect((err as ApkgraphError).code).toBe('ERR_SIZE_LIMIT');
  });

  it('rejects input that is not gzip', async () => {
    const err = await splitApk([Buffer.from('not an apk at all, just text')]).catch(
      (e: unknown) => e,
    );
    expect((err as ApkgraphError).code).toBe('ERR_GZIP');
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort('stop');
    const err = await splitApk([bytes], {}, { signal: ac.signal }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_ABORTED');
  });
});
