/**
 * Fixtures for the reliability suite: signed repositories built in code, module sets that use
 * them, temporary directories, and the checks that prove a failure lost nothing (no `.tmp-`
 * leftovers, a cache that verifies clean, no half-written image).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeApkIndex } from '../../src/apk/apkindex-file.js';
import { writeApk, type ApkFileSpec, type WrittenApk } from '../../src/apk/apk-writer.js';
import { generateSigningKey, type SigningKey } from '../../src/apk/keys.js';
import type { PackageRecord } from '../../src/apk/types.js';
import { verifyCache } from '../../src/cache/maintenance.js';
import { ApkgraphError } from '../../src/errors.js';
import { TEMP_PREFIX } from '../../src/util/atomic.js';

/** The project root (for bin/ and dist/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The compiled CLI. */
export const CLI = join(PROJECT_ROOT, 'bin', 'apkgraph.js');

/** True once `npm run build` has produced the CLI and the workers. */
export const hasDist = existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js'));

let sharedKey: SigningKey | undefined;

/** One RSA key per test file: generating keys is the slow part of making a repository. */
export function testKey(): SigningKey {
  sharedKey ??= generateSigningKey('reliability-test', 2048);
  return sharedKey;
}

/** A fresh temporary directory; remove it with {@link removeTemp}. */
export function makeTemp(tag: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `apkgraph-rel-${tag}-`));
}

export async function removeTemp(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** A package to put into a test repository. */
export interface PkgSpec {
  name: string;
  version?: string;
  depends?: string[];
  provides?: string[];
  files?: ApkFileSpec[];
  /** Extra payload bytes (pseudo-random, so gzip cannot shrink them). */
  payloadBytes?: number;
}

/** Deterministic bytes that do not compress. */
export function noise(seed: string, n: number): Buffer {
  let x = 2166136261;
  for (const ch of seed) x = Math.imul(x ^ ch.charCodeAt(0), 16777619);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

/** Builds one signed package. */
export function makeApk(arch: string, p: PkgSpec, key: SigningKey = testKey()): WrittenApk {
  const version = p.version ?? '1.0-r0';
  const pkginfo: Array<[string, string]> = [
    ['pkgname', p.name],
    ['pkgver', version],
    ['arch', arch],
    ['pkgdesc', `test package ${p.name}`],
    ['license', 'MIT'],
    ['builddate', '1700000000'],
  ];
  for (const d of p.depends ?? []) pkginfo.push(['depend', d]);
  for (const d of p.provides ?? []) pkginfo.push(['provides', d]);
  const files = p.files ?? [
    {
      path: `usr/share/${p.name}/payload`,
      content: noise(`${p.name}-${version}`, p.payloadBytes ?? 2048),
    },
  ];
  return writeApk({ pkginfo, files, key });
}

/** What {@link writeRepo} made. */
export interface TestRepo {
  /** The repository directory (serve it, or use it as a local repository path). */
  dir: string;
  /** The public key file, to put into a keyring. */
  keyPath: string;
  records: Map<string, PackageRecord[]>;
}

/**
 * Writes `<dir>/<arch>/*.apk` and a signed `<dir>/<arch>/APKINDEX.tar.gz` for every arch, and
 * the public key at `<dir>/<key name>`.
 */
export async function writeRepo(
  dir: string,
  archs: readonly string[],
  pkgs: readonly PkgSpec[],
  key: SigningKey = testKey(),
): Promise<TestRepo> {
  const records = new Map<string, PackageRecord[]>();
  for (const arch of archs) {
    await mkdir(join(dir, arch), { recursive: true });
    const recs: PackageRecord[] = [];
    for (const p of pkgs) {
      const { bytes, record } = makeApk(arch, p, key);
      await writeFile(join(dir, arch, `${record.name}-${record.version}.apk`), bytes);
      recs.push(record);
    }
    await writeFile(
      join(dir, arch, 'APKINDEX.tar.gz'),
      writeApkIndex({ packages: recs, key, description: 'reliability test repository' }),
    );
    records.set(arch, recs);
  }
  const keyPath = join(dir, key.name);
  await writeFile(keyPath, key.publicKeyPem);
  return { dir, keyPath, records };
}

/** Every path under `root` whose last component starts with `.tmp-`. */
export async function tempLeftovers(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.name.startsWith(TEMP_PREFIX)) out.push(p);
      else if (e.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out;
}

/** Every file under `root`, relative, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), r);
      else out.push(r);
    }
  };
  await walk(root, '');
  return out.sort();
}

/** Fails unless the cache at `root` verifies clean; returns how many entries it checked. */
export async function expectCacheClean(root: string): Promise<number> {
  const report = await verifyCache(root);
  if (report.bad.length > 0) {
    throw new Error(`cache ${root} has bad entries: ${JSON.stringify(report.bad)}`);
  }
  return report.checked;
}

/** Runs `fn` and returns the ApkgraphError it throws; fails if it succeeds or throws another. */
export async function caught(fn: () => unknown): Promise<ApkgraphError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApkgraphError) return err;
    throw new Error(`expected an ApkgraphError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an ApkgraphError, but the call succeeded');
}

/** The message of an error and every cause below it, joined: what a user would read. */
export function fullMessage(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e instanceof Error && parts.length < 10) {
    parts.push(e.message);
    if (e instanceof ApkgraphError && e.hint) parts.push(`hint: ${e.hint}`);
    e = e.cause;
  }
  return parts.join(' | ');
}

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  pid: number;
  /** Resolves with the stderr seen so far once it contains `text`. */
  waitForStderr(text: string | RegExp, timeoutMs?: number): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<CliResult>;
}

/** Starts `node bin/apkgraph.js ...args` with a clean environment (no TTY, no colour). */
export function startCli(args: readonly string[], opts: { cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const done = new Promise<CliResult>((ok, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => ok({ code, signal, stdout, stderr }));
  });
  let exited = false;
  void done.then(() => {
    exited = true;
    for (const w of waiters.splice(0)) w();
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (signal) => void child.kill(signal),
    waitForStderr: (text, timeoutMs = 20_000) =>
      new Promise((ok, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no ${String(text)} on stderr after ${timeoutMs} ms:\n${stderr}`)),
          timeoutMs,
        );
        const check = (): void => {
          const hit = typeof text === 'string' ? stderr.includes(text) : text.test(stderr);
          if (hit) {
            clearTimeout(timer);
            ok(stderr);
          } else if (exited) {
            clearTimeout(timer);
            fail(new Error(`process exited before ${String(text)} appeared:\n${stderr}`));
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
  };
}

/** Runs the CLI to the end. */
export function runCli(args: readonly string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

interface OciDescriptor {
  digest: string;
  mediaType?: string;
}

/**
 * Image directories under `out/<module>/<variant>` that are not whole: no index.json, or a
 * blob that the index, a manifest or a nested index names is missing. Empty means no
 * half-written image.
 */
export async function incompleteImages(out: string): Promise<string[]> {
  const bad: string[] = [];
  const dirsIn = async (dir: string): Promise<string[]> =>
    (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  // Files beside the layouts (e.g. `<variant>.apko.lock.json`) are not images.
  for (const module of await dirsIn(out)) {
    for (const variant of await dirsIn(join(out, module))) {
      const dir = join(out, module, variant);
      if (!(await imageIsWhole(dir))) bad.push(`${module}/${variant}`);
    }
  }
  return bad;
}

async function imageIsWhole(dir: string): Promise<boolean> {
  const blob = async (d: OciDescriptor): Promise<Buffer | undefined> =>
    readFile(join(dir, 'blobs', ...d.digest.split(':'))).catch(() => undefined);
  const index = await readFile(join(dir, 'index.json'), 'utf8').catch(() => undefined);
  if (index === undefined || !existsSync(join(dir, 'oci-layout'))) return false;
  const queue: OciDescriptor[] = (JSON.parse(index) as { manifests: OciDescriptor[] }).manifests;
  while (queue.length > 0) {
    const d = queue.pop() as OciDescriptor;
    const bytes = await blob(d);
    if (!bytes) return false;
    if (d.mediaType?.includes('index') || d.mediaType?.includes('manifest')) {
      const doc = JSON.parse(bytes.toString('utf8')) as {
        manifests?: OciDescriptor[];
        config?: OciDescriptor;
        layers?: OciDescriptor[];
      };
      queue.push(
        ...(doc.manifests ?? []),
        ...(doc.config ? [doc.config] : []),
        ...(doc.layers ?? []),
      );
    }
  }
  return true;
}
