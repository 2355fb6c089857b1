/**
 * Architecture names. APK repositories use apk names (`x86_64`, `aarch64`); OCI platforms use
 * Go names (`amd64`, `arm64`). apko accepts both in configs and normalises them.
 */
import { ApkgraphError } from '../errors.js';

interface ArchInfo {
  apk: string;
  oci: { architecture: string; variant?: string };
}

const ARCHES: readonly ArchInfo[] = [
  { apk: 'x86_64', oci: { architecture: 'amd64' } },
  { apk: 'aarch64', oci: { architecture: 'arm64' } },
  { apk: 'x86', oci: { architecture: '386' } },
  { apk: 'armhf', oci: { architecture: 'arm', variant: 'v6' } },
  { apk: 'armv7', oci: { architecture: 'arm', variant: 'v7' } },
  { apk: 'ppc64le', oci: { architecture: 'ppc64le' } },
  { apk: 'riscv64', oci: { architecture: 'riscv64' } },
  { apk: 's390x', oci: { architecture: 's390x' } },
  { apk: 'loongarch64', oci: { architecture: 'loong64' } },
];

function ociName(a: ArchInfo): string {
  return a.oci.variant ? `${a.oci.architecture}/${a.oci.variant}` : a.oci.architecture;
}

/** All apk architecture names apkgraph knows. */
export const APK_ARCHES: readonly string[] = ARCHES.map((a) => a.apk);

/** Turns an apk or OCI architecture name into the apk name (`amd64` → `x86_64`). */
export function toApkArch(name: string): string {
  const found = ARCHES.find((a) => a.apk === name || ociName(a) === name);
  if (!found) {
    throw new ApkgraphError('ERR_CONFIG', `unknown architecture "${name}"`, {
      hint: `use one of ${APK_ARCHES.join(', ')} (or the OCI names amd64, arm64, …)`,
    });
  }
  return found.apk;
}

/** The OCI platform of an apk architecture (`aarch64` → `{architecture: 'arm64'}`). */
export function toOciPlatform(apkArch: string): {
  os: 'linux';
  architecture: string;
  variant?: string;
} {
  const found = ARCHES.find((a) => a.apk === toApkArch(apkArch));
  if (!found) throw new ApkgraphError('ERR_CONFIG', `unknown architecture "${apkArch}"`);
  return { os: 'linux', ...found.oci };
}

/** The OCI name (`amd64`, `arm/v7`) of an apk architecture, as lock files and configs key it. */
export function toOciArch(apkArch: string): string {
  const p = toOciPlatform(apkArch);
  return p.variant ? `${p.architecture}/${p.variant}` : p.architecture;
}
