/**
 * bench.svg: two panels, hit rate and wall time against parallelism, one line per strategy.
 *
 * Written by hand so the chart needs no plotting dependency. Jobs values sit at equal spacing
 * (they are usually powers of 4). The hit-rate panel draws the ideal hit rate as a dashed line:
 * a strategy on that line downloads every package exactly once.
 */
import { basename } from 'node:path';
import { STRATEGIES, type BenchResult, type BenchRow, type Strategy } from './types.js';

const COLORS: Record<Strategy, string> = {
  naive: '#d62728',
  dedup: '#1f77b4',
  prefetch: '#2ca02c',
};

// Strategies often coincide (dedup and prefetch both sit on the ideal hit rate), so each is
// drawn wider than the next and with its own dash pattern: every line stays visible.
const STROKE: Record<Strategy, { width: number; dash: string; r: number }> = {
  naive: { width: 6, dash: '', r: 6 },
  dedup: { width: 4, dash: '', r: 4.5 },
  prefetch: { width: 2, dash: '7 4', r: 3 },
};

const W = 960;
const H = 460;
const PANEL_W = 400;
const PANEL_H = 280;
const TOP = 80;
const LEFT = [70, 550];

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A round upper bound for an axis, at least `max`, so the data fills most of the panel. */
export function niceCeil(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

interface Panel {
  left: number;
  title: string;
  yLabel: string;
  yMax: number;
  yFormat: (v: number) => string;
  value: (r: BenchRow) => number;
}

function panel(p: Panel, rows: readonly BenchRow[], jobs: number[], ideal?: number): string[] {
  const out: string[] = [];
  const x = (j: number): number =>
    p.left + (jobs.length === 1 ? PANEL_W / 2 : (jobs.indexOf(j) / (jobs.length - 1)) * PANEL_W);
  const y = (v: number): number => TOP + PANEL_H - (Math.min(v, p.yMax) / p.yMax) * PANEL_H;
  out.push(
    `<text x="${p.left + PANEL_W / 2}" y="${TOP - 14}" text-anchor="middle" ` +
      `font-weight="bold">${esc(p.title)}</text>`,
    `<rect x="${p.left}" y="${TOP}" width="${PANEL_W}" height="${PANEL_H}" ` +
      `fill="none" stroke="#888"/>`,
  );
  for (let i = 0; i <= 5; i++) {
    const v = (p.yMax * i) / 5;
    const yy = y(v).toFixed(1);
    out.push(
      `<line x1="${p.left}" y1="${yy}" x2="${p.left + PANEL_W}" y2="${yy}" stroke="#eee"/>`,
      `<text x="${p.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">` +
        `${esc(p.yFormat(v))}</text>`,
    );
  }
  for (const j of jobs) {
    out.push(
      `<text x="${x(j).toFixed(1)}" y="${TOP + PANEL_H + 18}" text-anchor="middle">${j}</text>`,
    );
  }
  out.push(
    `<text x="${p.left + PANEL_W / 2}" y="${TOP + PANEL_H + 38}" text-anchor="middle">jobs</text>`,
    `<text transform="translate(${p.left - 52} ${TOP + PANEL_H / 2}) rotate(-90)" ` +
      `text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  for (const s of STRATEGIES) {
    const pts = rows
      .filter((r) => r.strategy === s && r.ok && Number.isFinite(p.value(r)))
      .sort((a, b) => a.jobs - b.jobs)
      .map((r) => [x(r.jobs), y(p.value(r))] as const);
    if (pts.length === 0) continue;
    const dash = STROKE[s].dash ? ` stroke-dasharray="${STROKE[s].dash}"` : '';
    const points = pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ');
    out.push(
      `<polyline fill="none" stroke="${COLORS[s]}" stroke-width="${STROKE[s].width}"${dash} ` +
        `points="${points}"/>`,
      ...pts.map(
        ([a, b]) =>
          `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="${STROKE[s].r}" ` +
          `fill="${COLORS[s]}"/>`,
      ),
    );
  }
  // Drawn last, thin and dashed, so it stays visible where a strategy sits on it.
  if (ideal !== undefined) {
    const yy = y(ideal).toFixed(1);
    out.push(
      `<line x1="${p.left}" y1="${yy}" x2="${p.left + PANEL_W}" y2="${yy}" stroke="#555" ` +
        `stroke-dasharray="6 4"/>`,
      `<text x="${p.left + PANEL_W - 4}" y="${(y(ideal) - 6).toFixed(1)}" text-anchor="end" ` +
        `fill="#555">ideal ${esc(p.yFormat(ideal))}</text>`,
    );
  }
  return out;
}

/** The chart as a standalone SVG document. */
export function renderChart(result: BenchResult): string {
  const rows = result.rows;
  const jobs = [...new Set(rows.map((r) => r.jobs))].sort((a, b) => a - b);
  const ideal = rows.find((r) => r.ok && Number.isFinite(r.idealHitRate))?.idealHitRate;
  const maxWall = Math.max(
    0,
    ...rows.filter((r) => r.ok && Number.isFinite(r.wallMs)).map((r) => r.wallMs / 1000),
  );
  const shown = STRATEGIES.filter((s) => rows.some((r) => r.strategy === s));
  const body: string[] = [
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(
      `apkgraph bench: ${basename(result.settings.set)}`,
    )}</text>`,
    `<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${esc(
      `each point: one run from an empty cache; server ${result.settings.latencyMs} ms latency, ` +
        `${(result.settings.bandwidthBytesPerSec / 1048576).toFixed(0)} MiB/s shared`,
    )}</text>`,
    ...panel(
      {
        left: LEFT[0]!,
        title: 'cache hit rate (1 − downloads / requests)',
        yLabel: 'hit rate',
        yMax: 1,
        yFormat: (v) => `${Math.round(v * 100)}%`,
        value: (r) => Math.max(0, r.hitRate),
      },
      rows,
      jobs,
      ideal,
    ),
    ...panel(
      {
        left: LEFT[1]!,
        title: 'wall time, cold cache',
        yLabel: 'seconds',
        yMax: niceCeil(maxWall),
        yFormat: (v) => v.toFixed(niceCeil(maxWall) >= 10 ? 0 : 1),
        value: (r) => r.wallMs / 1000,
      },
      rows,
      jobs,
    ),
    ...shown.flatMap((s, i) => {
      const lx = LEFT[0]! + i * 150;
      const ly = H - 20;
      const dash = STROKE[s].dash ? ` stroke-dasharray="${STROKE[s].dash}"` : '';
      return [
        `<line x1="${lx}" y1="${ly}" x2="${lx + 28}" y2="${ly}" stroke="${COLORS[s]}" ` +
          `stroke-width="${STROKE[s].width}"${dash}/>`,
        `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${s}</text>`,
      ];
    }),
  ];
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" ` +
      `viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    ...body.map((l) => `  ${l}`),
    `</svg>`,
    '',
  ].join('\n');
}
