/**
 * A local APK repository server for tests, benchmarks and air-gapped mirrors.
 *
 * It serves a directory laid out like a repository (`<arch>/APKINDEX.tar.gz`,
 * `<arch>/<name>-<version>.apk`) with what the client relies on: HEAD, a stable ETag (a hash of
 * the content, so it changes exactly when the file does), single byte ranges and 404s. It can
 * add latency, a bandwidth cap shared by all connections, and seeded faults. It counts GETs,
 * HEADs and bytes per path, which is how tests prove "downloaded exactly once".
 *
 * It binds to loopback unless the caller explicitly allows another address: a test server
 * with fault injection has no business listening on a network. It never serves a path with a
 * segment starting with `.` (dot-files, `.keys/`) nor a PEM private key: a repository folder
 * may hold the key that signed it, and that key must not leave the machine.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { relative, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApkgraphError, wrapError } from '../errors.js';
import { createFaultPicker, type FaultKind, type FaultOptions } from './faults.js';
import { SharedThrottle } from './throttle.js';

/** Per-path request counts. */
export interface PathCounts {
  get: number;
  head: number;
  /** Body bytes sent (partial bodies included). */
  bytes: number;
}

export interface RepoServerOptions {
  /** The directory to serve. */
  root: string;
  /** Default `127.0.0.1`. Anything but loopback needs `allowNonLoopback`. */
  host?: string;
  /** Default 0: pick a free port. */
  port?: number;
  /** Must be true to bind to a non-loopback address. */
  allowNonLoopback?: boolean;
  /** Delay before each response starts. */
  latencyMs?: number;
  /** Total body bandwidth shared across all connections; unlimited when absent. */
  bandwidthBytesPerSec?: number;
  faults?: FaultOptions;
  /** Send ETag headers (default true); off, it imitates servers that send none. */
  etags?: boolean;
}

export interface RepoServer {
  /** `http://host:port` with no trailing slash. */
  readonly url: string;
  counts(): Map<string, PathCounts>;
  resetCounts(): void;
  close(): Promise<void>;
}

interface FileInfo {
  size: number;
  etag: string;
}

/** True when a file's first bytes are a PEM private key (`-----BEGIN … PRIVATE KEY-----`). */
export function isPrivateKeyPem(head: Buffer): boolean {
  const text = head.toString('latin1').trimStart();
  return text.startsWith('-----BEGIN') && text.split('\n', 1)[0]!.includes('PRIVATE KEY');
}

/** True for 127.0.0.0/8, ::1, `localhost` and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Starts the server; resolves once it listens. */
export async function startRepoServer(options: RepoServerOptions): Promise<RepoServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) {
    throw new ApkgraphError('ERR_USAGE', `refusing to serve on non-loopback address ${host}`, {
      hint: 'the repository server binds to 127.0.0.1 unless a --host is given explicitly',
    });
  }
  const root = resolve(options.root);
  const rootStat = await stat(root).catch((err: unknown) => {
    throw wrapError(`cannot serve ${root}`, err, 'ERR_IO', {
      path: root,
      hint: 'pass an existing repository folder (holding <arch>/APKINDEX.tar.gz)',
    });
  });
  if (!rootStat.isDirectory()) {
    throw new ApkgraphError('ERR_IO', `cannot serve ${root}: it is not a folder`, {
      path: root,
      hint: 'pass the repository folder (holding <arch>/APKINDEX.tar.gz), not a file in it',
    });
  }
  const pickFault = createFaultPicker(options.faults);
  const throttle =
    options.bandwidthBytesPerSec === undefined
      ? undefined
      : new SharedThrottle(options.bandwidthBytesPerSec);
  const counts = new Map<string, PathCounts>();
  const seen = new Map<string, number>();
  const etags = new Map<string, { key: string; etag: string; secret: boolean }>();
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  const countFor = (path: string): PathCounts => {
    let c = counts.get(path);
    if (!c) counts.set(path, (c = { get: 0, head: 0, bytes: 0 }));
    return c;
  };

  const fileInfo = async (file: string): Promise<FileInfo | undefined> => {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    const key = `${st.size}:${st.mtimeMs}`;
    const known = etags.get(file);
    if (known?.key === key) return known.secret ? undefined : { size: st.size, etag: known.etag };
    const hash = createHash('sha256');
    let head: Buffer | undefined;
    for await (const chunk of createReadStream(file)) {
      head ??= (chunk as Buffer).subarray(0, 4096);
      hash.update(chunk as Buffer);
    }
    const etag = `"${hash.digest('hex').slice(0, 32)}"`;
    const secret = head !== undefined && isPrivateKeyPem(head);
    etags.set(file, { key, etag, secret });
    return secret ? undefined : { size: st.size, etag };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/_stats') return sendStats(res, counts);
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const c = countFor(path);
    if (method === 'GET') c.get++;
    else c.head++;
    const n = seen.get(path) ?? 0;
    seen.set(path, n + 1);

    if (options.latencyMs) await sleep(options.latencyMs, undefined, { signal: closing.signal });
    const fault = pickFault({ method, path, seen: n });
    if (fault === 'fail') return void res.writeHead(500).end('injected failure\n');
    if (fault === 'status429') {
      return void res.writeHead(429, { 'retry-after': '1' }).end('slow down\n');
    }

    const file = resolve(root, `.${path}`);
    const rel = relative(root, file);
    const hidden = rel.split(sep).some((segment) => segment.startsWith('.'));
    const info = hidden || rel === '' ? undefined : await fileInfo(file);
    if (!info) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');

    const range = pickRange(req, info);
    if (range === 'invalid') {
      res.writeHead(416, { 'content-range': `bytes */${info.size}` }).end();
      return;
    }
    const [start, end] = range ?? [0, info.size - 1];
    const length = Math.max(0, end - start + 1);
    const headers: Record<string, string | number> = {
      ...(options.etags === false ? {} : { etag: info.etag }),
      'accept-ranges': 'bytes',
      'content-length': length,
      'content-type': 'application/octet-stream',
    };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${info.size}`;
    res.writeHead(range ? 206 : 200, headers);
    if (method === 'HEAD' || length === 0) return void res.end();
    await sendBody(res, file, start, end, length, fault, c);
  };

  const sendBody = async (
    res: ServerResponse,
    file: string,
    start: number,
    end: number,
    length: number,
    fault: FaultKind | undefined,
    c: PathCounts,
  ): Promise<void> => {
    // Body faults cut the transfer half-way, so the client has something to resume from.
    const cutAt = fault === 'reset' || fault === 'stall' ? Math.max(1, Math.floor(length / 2)) : -1;
    let sent = 0;
    const stream = createReadStream(file, { start, end, highWaterMark: 16 * 1024 });
    try {
      for await (const raw of stream) {
        let chunk = raw as Buffer;
        if (cutAt >= 0 && sent + chunk.length > cutAt) chunk = chunk.subarray(0, cutAt - sent);
        if (throttle) await throttle.take(chunk.length, closing.signal);
        if (res.destroyed) return;
        if (chunk.length > 0 && !res.write(chunk)) {
          // Wait for either event and drop the other listener, so a long body does not pile
          // up one 'close' listener per back-pressure pause.
          await new Promise<void>((ok) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              ok();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
        sent += chunk.length;
        c.bytes += chunk.length;
        if (cutAt >= 0 && sent >= cutAt) break;
      }
    } finally {
      stream.destroy();
    }
    if (fault === 'reset') return void res.socket?.destroy();
    if (fault === 'stall') {
      // Hold the connection open with nothing more to say until the client or close() ends it.
      await new Promise<void>((ok) => {
        res.once('close', ok);
        closing.signal.addEventListener('abort', () => ok(), { once: true });
      });
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(`server error: ${String(err)}\n`);
      else res.socket?.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `http://${shownHost}:${addr.port}`,
    counts: () => new Map([...counts].map(([k, v]) => [k, { ...v }])),
    resetCounts: () => {
      counts.clear();
      seen.clear();
    },
    close: async () => {
      closing.abort(new Error('server closing'));
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** The single byte range asked for, `undefined` for the whole file, or 'invalid' (416). */
function pickRange(req: IncomingMessage, info: FileInfo): [number, number] | undefined | 'invalid' {
  const header = req.headers.range;
  if (!header) return undefined;
  // If-Range: resume only if the file is the one the client started with; else send it all.
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== info.etag) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, info.size - Number(m[2]));
    end = info.size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? info.size - 1 : Math.min(Number(m[2]), info.size - 1);
  }
  if (start >= info.size || start > end) return 'invalid';
  return [start, end];
}

function sendStats(res: ServerResponse, counts: Map<string, PathCounts>): void {
  const paths = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
  const totals = { get: 0, head: 0, bytes: 0 };
  for (const c of counts.values()) {
    totals.get += c.get;
    totals.head += c.head;
    totals.bytes += c.bytes;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify({ totals, paths }, null, 2)}\n`);
}
