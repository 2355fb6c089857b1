/**
 * Maps an apko config (plain data, as read from apko.yaml) onto the builder's ImageSpec. Field
 * names stay apko's; values of the wrong shape are left out rather than guessed at, since the
 * module-set loader has already rejected unknown fields.
 */
import type { ImagePathMutation, ImageSpec } from '../build/types.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
      out[k] = String(x);
  }
  return out;
}

/**
 * apko writes permissions in octal (`0o755`, or the YAML 1.1 `0755`); both arrive as numbers or
 * strings.
 */
function permissions(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^(0o)?[0-7]+$/.test(v)) return parseInt(v.replace(/^0o/, ''), 8);
  return undefined;
}

/** The image-level parts of `raw`. */
export function imageSpecOf(raw: Record<string, unknown>): ImageSpec {
  const spec: ImageSpec = {};
  if (isRecord(raw.entrypoint)) {
    const e = raw.entrypoint;
    spec.entrypoint = {
      ...(typeof e.command === 'string' ? { command: e.command } : {}),
      ...(typeof e['shell-fragment'] === 'string' ? { 'shell-fragment': e['shell-fragment'] } : {}),
    };
  }
  if (typeof raw.cmd === 'string') spec.cmd = raw.cmd;
  const env = stringMap(raw.environment);
  if (env) spec.environment = env;
  if (typeof raw['work-dir'] === 'string') spec.workDir = raw['work-dir'];
  if (typeof raw['stop-signal'] === 'string') spec.stopSignal = raw['stop-signal'];
  if (Array.isArray(raw.volumes)) spec.volumes = raw.volumes.map(String);
  const ann = stringMap(raw.annotations);
  if (ann) spec.annotations = ann;
  if (isRecord(raw.accounts)) spec.accounts = raw.accounts;
  if (Array.isArray(raw.paths)) {
    spec.paths = raw.paths.filter(isRecord).map((p) => {
      const m = { ...p } as unknown as ImagePathMutation;
      const perm = permissions(p.permissions);
      if (perm === undefined) delete m.permissions;
      else m.permissions = perm;
      return m;
    });
  }
  return spec;
}
