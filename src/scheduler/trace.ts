/**
 * Chrome trace-event JSON for `run --trace FILE`, which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open. One process per node kind, one thread (track) per lane of that kind,
 * so the picture shows how busy the config slots and the build workers were; each node is a
 * complete event ("X") on its lane with its outcome and cache counts as args.
 */
import type { RunReport } from './report.js';

/** One trace event (the subset of the format used here). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M' | 'i';
  /** Microseconds. */
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

const PIDS: Record<string, number> = { config: 1, build: 2 };

/** The trace of a finished run, as `{traceEvents, displayTimeUnit}`. */
export function buildTrace(report: RunReport): {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
} {
  const events: TraceEvent[] = [];
  const lanes = new Map<string, Set<number>>();
  for (const [kind, pid] of Object.entries(PIDS)) {
    events.push({
      name: 'process_name',
      ph: 'M',
      ts: 0,
      pid,
      tid: 0,
      args: { name: `${kind} nodes` },
    });
    events.push({
      name: 'process_sort_index',
      ph: 'M',
      ts: 0,
      pid,
      tid: 0,
      args: { sort_index: pid },
    });
    lanes.set(kind, new Set());
  }
  for (const n of report.nodes) {
    if (n.startMs === undefined || n.lane === undefined) continue;
    const pid = PIDS[n.kind] ?? 3;
    lanes.get(n.kind)?.add(n.lane);
    events.push({
      name: `${n.module}:${n.variant}`,
      cat: n.kind,
      ph: 'X',
      ts: Math.round(n.startMs * 1000),
      dur: Math.max(1, Math.round(((n.endMs ?? n.startMs) - n.startMs) * 1000)),
      pid,
      tid: n.lane,
      args: {
        node: n.id,
        status: n.status,
        ...(n.packages ? { packages: n.packages } : {}),
        ...(n.cache ? { cache: n.cache } : {}),
        ...(n.error ? { error: n.error.message } : {}),
        ...(n.readyMs !== undefined ? { queuedMs: Math.round(n.startMs - n.readyMs) } : {}),
      },
    });
  }
  for (const [kind, set] of lanes) {
    const pid = PIDS[kind] ?? 3;
    for (const lane of [...set].sort((a, b) => a - b)) {
      const name = kind === 'build' ? `build worker ${lane}` : `config slot ${lane}`;
      events.push({ name: 'thread_name', ph: 'M', ts: 0, pid, tid: lane, args: { name } });
    }
  }
  return { traceEvents: events, displayTimeUnit: 'ms' };
}
