import { describe, expect, it } from 'vitest';
import { AbortError, ApkgraphError, fromErrorData, toErrorData, wrapError } from './errors.js';

describe('wrapError', () => {
  it('prefixes the message and keeps code, subject and hint', () => {
    const inner = new ApkgraphError('ERR_APK_CHECKSUM', 'checksum mismatch', {
      package: 'zlib-1.3-r0',
      hint: 'remove the cache entry',
    });
    const outer = wrapError('installing zlib', inner);
    expect(outer.code).toBe('ERR_APK_CHECKSUM');
    expect(outer.message).toBe('installing zlib: checksum mismatch');
    expect(outer.subject.package).toBe('zlib-1.3-r0');
    expect(outer.hint).toBe('remove the cache entry');
    expect(outer.cause).toBe(inner);
  });

  it('turns foreign errors into the given code', () => {
    const outer = wrapError('reading index', new Error('EACCES'), 'ERR_IO', { path: '/x' });
    expect(outer.code).toBe('ERR_IO');
    expect(outer.message).toBe('reading index: EACCES');
    expect(outer.subject.path).toBe('/x');
  });
});

describe('toErrorData', () => {
  it('round-trips through structured clone', () => {
    const err = new ApkgraphError('ERR_HTTP', 'GET failed: 503', { url: 'http://127.0.0.1/x' });
    const back = fromErrorData(structuredClone(toErrorData(err)));
    expect(back).toBeInstanceOf(ApkgraphError);
    expect(back.code).toBe('ERR_HTTP');
    expect(back.subject.url).toBe('http://127.0.0.1/x');
  });

  it('keeps cancellation recognisable', () => {
    const back = fromErrorData(toErrorData(new AbortError('SIGTERM')));
    expect(back).toBeInstanceOf(AbortError);
    expect(back.code).toBe('ERR_ABORTED');
  });
});
