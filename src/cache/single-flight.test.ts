import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

/** A promise the test settles by hand. */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs concurrent calls for one key once and shares the result', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const gate = deferred<number>();
    const work = (): Promise<number> => {
      runs++;
      return gate.promise;
    };
    const a = flights.run('k', work);
    const b = flights.run('k', work);
    expect([a.leader, b.leader]).toEqual([true, false]);
    gate.resolve(7);
    expect(await Promise.all([a.promise, b.promise])).toEqual([7, 7]);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
  });

  it('forgets a failure so the next call runs again', async () => {
    const flights = new SingleFlight<string>();
    await expect(flights.run('k', () => Promise.reject(new Error('blip'))).promise).rejects.toThrow(
      'blip',
    );
    expect(await flights.run('k', () => Promise.resolve('ok')).promise).toBe('ok');
  });

  it('keeps working for a follower when the leader cancels', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let workSignal: AbortSignal | undefined;
    const leaderAbort = new AbortController();
    const leader = flights.run(
      'k',
      (s) => {
        workSignal = s;
        return gate.promise;
      },
      leaderAbort.signal,
    );
    const follower = flights.run('k', () => Promise.resolve('unused'));
    leaderAbort.abort(new Error('leader gave up'));
    await expect(leader.promise).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(workSignal?.aborted).toBe(false);
    gate.resolve('done');
    expect(await follower.promise).toBe('done');
  });

  it('aborts the work once every waiter has cancelled', async () => {
    const flights = new SingleFlight<string>();
    let workSignal: AbortSignal | undefined;
    const a = new AbortController();
    const b = new AbortController();
    const work = (s: AbortSignal): Promise<string> => {
      workSignal = s;
      return new Promise((_, reject) =>
        s.addEventListener('abort', () => reject(new Error('stopped'))),
      );
    };
    const first = flights.run('k', work, a.signal);
    const second = flights.run('k', work, b.signal);
    a.abort();
    expect(workSignal?.aborted).toBe(false);
    b.abort();
    expect(workSignal?.aborted).toBe(true);
    await expect(first.promise).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await expect(second.promise).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    // A new caller after the teardown starts fresh work rather than joining the dead one.
    expect(flights.run('k', () => Promise.resolve('fresh')).leader).toBe(true);
  });
});
