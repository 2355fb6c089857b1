import { describe, expect, it } from 'vitest';
import { AbortError, ApkgraphError } from '../src/errors.js';
import { buildGraph, type GraphNode } from '../src/graph/build-graph.js';
import { runGraph } from '../src/scheduler/scheduler.js';
import type { SchedulerEvent, TaskContext } from '../src/scheduler/types.js';
import { moduleDef as mod } from './module-fixtures.js';

/** Resolves after the abort signal fires; rejects with AbortError like real tasks do. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new AbortError(signal.reason));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runGraph', () => {
  it('hands latest’s config value to latest-dev and each config to its build', async () => {
    const g = buildGraph({ modules: [mod('web'), mod('base', [], false)] });
    const seen: string[] = [];
    const result = await runGraph(g, {
      configConcurrency: 2,
      buildConcurrency: 2,
      runners: {
        config: async (n: GraphNode, ctx: TaskContext<string>) => {
          await tick();
          seen.push(`${n.id} <- ${[...ctx.inputs.values()].join(',')}`);
          return `${n.module}/${n.variant}`;
        },
        build: (n, ctx) => Promise.resolve(`${n.id} from ${[...ctx.inputs.values()].join(',')}`),
      },
    });
    expect(result.ok).toBe(true);
    expect(seen).toContain('config:web:latest-dev <- web/latest');
    expect(result.outcomes.get('build:web:latest-dev')).toEqual({
      ok: true,
      value: 'build:web:latest-dev from web/latest-dev',
    });
    expect(result.outcomes.size).toBe(g.nodes().length);
  });

  it('never runs more nodes of a kind than its concurrency, and respects depends_on', async () => {
    const mods = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => mod(n, n === 'f' ? ['a', 'e'] : []));
    const g = buildGraph({ modules: mods });
    const active = { config: 0, build: 0 };
    const peak = { config: 0, build: 0 };
    const finished = new Set<string>();
    const work = async (n: GraphNode): Promise<string> => {
      active[n.kind]++;
      peak[n.kind] = Math.max(peak[n.kind], active[n.kind]);
      for (const dep of g.dependencies(n.id)) expect(finished.has(dep)).toBe(true);
      await tick();
      active[n.kind]--;
      finished.add(n.id);
      return n.id;
    };
    const result = await runGraph(g, {
      configConcurrency: 2,
      buildConcurrency: 3,
      runners: { config: work, build: work },
    });
    expect(result.ok).toBe(true);
    expect(peak).toEqual({ config: 2, build: 3 });
    const lanes = new Set([...result.timings.values()].map((t) => t.lane));
    expect([...lanes].sort()).toEqual([0, 1, 2]);
  });

  it('cancels running and queued nodes after the first failure (fail fast)', async () => {
    const g = buildGraph({
      modules: [mod('bad', [], false), mod('slow', [], false), mod('zlater', [], false)],
    });
    let slowAborted = false;
    const result = await runGraph(g, {
      configConcurrency: 2,
      buildConcurrency: 1,
      runners: {
        config: async (n, ctx) => {
          if (n.module === 'bad') {
            await tick();
            throw new ApkgraphError('ERR_RESOLVE', 'no such package zzz');
          }
          if (n.module === 'slow') {
            return untilAborted(ctx.signal).catch((err: unknown) => {
              slowAborted = true;
              throw err;
            });
          }
          return 'ok';
        },
        build: () => Promise.resolve('built'),
      },
    });
    expect(result.ok).toBe(false);
    expect(slowAborted).toBe(true);
    const bad = result.outcomes.get('config:bad:latest');
    expect(bad?.ok).toBe(false);
    if (bad && !bad.ok && bad.failure.reason === 'failed') {
      expect(bad.failure.error.code).toBe('ERR_RESOLVE');
      expect(bad.failure.error.message).toBe('config bad latest: no such package zzz');
      expect(bad.failure.error.subject.node).toBe('config:bad:latest');
    } else throw new Error('expected a failed outcome');
    expect(result.outcomes.get('config:slow:latest')).toEqual({
      ok: false,
      failure: { reason: 'cancelled' },
    });
    expect(result.outcomes.get('config:zlater:latest')).toEqual({
      ok: false,
      failure: { reason: 'cancelled' },
    });
    expect(result.outcomes.get('build:bad:latest')).toEqual({
      ok: false,
      failure: { reason: 'dependency-failed', dependency: 'config:bad:latest' },
    });
  });

  it('runs everything that does not need the failure with keepGoing', async () => {
    const g = buildGraph({ modules: [mod('bad'), mod('good'), mod('child', ['bad'])] });
    const result = await runGraph(g, {
      configConcurrency: 1,
      buildConcurrency: 1,
      keepGoing: true,
      runners: {
        config: async (n) => {
          await tick();
          if (n.id === 'config:bad:latest') throw new ApkgraphError('ERR_RESOLVE', 'nope');
          return n.id;
        },
        build: (n) => Promise.resolve(n.id),
      },
    });
    expect(result.ok).toBe(false);
    const okIds = [...result.outcomes]
      .filter(([, o]) => o.ok)
      .map(([id]) => id)
      .sort();
    expect(okIds).toEqual([
      'build:good:latest',
      'build:good:latest-dev',
      'config:good:latest',
      'config:good:latest-dev',
    ]);
    expect(result.outcomes.get('config:bad:latest-dev')).toEqual({
      ok: false,
      failure: { reason: 'dependency-failed', dependency: 'config:bad:latest' },
    });
    expect(result.outcomes.get('build:child:latest-dev')?.ok).toBe(false);
  });

  it('cancels everything when the caller’s signal aborts mid-run', async () => {
    const g = buildGraph({ modules: [mod('a'), mod('b')] });
    const outer = new AbortController();
    const events: SchedulerEvent[] = [];
    const result = await runGraph(g, {
      configConcurrency: 1,
      buildConcurrency: 1,
      signal: outer.signal,
      onEvent: (e) => events.push(e),
      runners: {
        config: (_n, ctx) => {
          outer.abort('interrupted');
          return untilAborted(ctx.signal);
        },
        build: () => Promise.resolve('never'),
      },
    });
    expect(result.ok).toBe(false);
    expect([...result.outcomes.values()].every((o) => !o.ok && o.failure.reason !== 'failed')).toBe(
      true,
    );
    expect(events.filter((e) => e.type === 'node-start')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', ok: false });
  });

  it('rejects a concurrency below one', async () => {
    const g = buildGraph({ modules: [mod('a')] });
    await expect(
      runGraph(g, {
        configConcurrency: 1,
        buildConcurrency: 0,
        runners: { config: () => Promise.resolve(1), build: () => Promise.resolve(1) },
      }),
    ).rejects.toThrow('--jobs must be a positive integer, got 0');
  });
});
