import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { imageConfigJson, splitWords } from './image-config.js';

describe('splitWords', () => {
  it('splits on whitespace and keeps quoted words together', () => {
    expect(splitWords(`/bin/app --name "a b" 'c d' e\\ f ""`)).toEqual([
      '/bin/app',
      '--name',
      'a b',
      'c d',
      'e f',
      '',
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitWords('echo "oops')).toThrow(ApkgraphError);
  });
});

describe('imageConfigJson', () => {
  const platform = { os: 'linux', architecture: 'arm', variant: 'v7' };

  it('runs a shell fragment with /bin/sh -c and keeps a PATH the config sets', () => {
    const doc = JSON.parse(
      imageConfigJson({
        platform,
        image: {
          entrypoint: { 'shell-fragment': 'exec app' },
          environment: { PATH: '/app', A: '1' },
          volumes: ['/b', '/a'],
          stopSignal: 'SIGTERM',
          workDir: '/srv',
        },
        diffId: 'sha256:00',
        created: 0,
      }),
    ) as { created: string; variant: string; config: Record<string, unknown> };
    expect(doc.created).toBe('1970-01-01T00:00:00Z');
    expect(doc.variant).toBe('v7');
    expect(doc.config).toEqual({
      Env: ['A=1', 'PATH=/app'],
      Entrypoint: ['/bin/sh', '-c', 'exec app'],
      WorkingDir: '/srv',
      Volumes: { '/a': {}, '/b': {} },
      StopSignal: 'SIGTERM',
    });
  });
});
