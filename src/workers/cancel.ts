/**
 * Cancelling a piscina task without killing its thread.
 *
 * piscina cancels a running task by terminating the thread it runs on. That is abrupt in two
 * ways: file operations the thread had already queued on libuv's pool still complete after it
 * is gone (and may recreate a temporary file the caller has just removed), and every other task
 * sharing the thread dies with it. Here the task gets one end of a message port instead; the
 * caller's abort is posted through it, the task stops at its next check of the signal, and the
 * caller waits for the task to settle.
 *
 * A task that ignores the request for `graceMs` is dealt with in one of two ways. `terminate`
 * hands piscina an abort signal, which ends the thread; piscina then never gives that thread a
 * second task while this one runs, which suits one-task-per-thread pools (builds). `detach`
 * stops waiting and leaves the task to finish on its own, its result dropped; the thread keeps
 * running other tasks meanwhile (fetches, several per thread).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { AbortError, throwIfAborted } from '../errors.js';

/** Fields a cancellable task input carries; `cancel` receives one message, the reason. */
export interface Cancellable {
  cancel?: MessagePort;
}

/** How long a cancelled task may take to stop before it is terminated or given up on. */
export const CANCEL_GRACE_MS = 10_000;

/**
 * Runs `input` on `pool`; when `signal` fires, asks the task to stop and waits for it (at most
 * `graceMs`), then rejects with an {@link AbortError}.
 */
export async function runCancellable<I extends Cancellable, O>(
  pool: Piscina<I, O>,
  input: I,
  signal: AbortSignal | undefined,
  options: { afterGrace: 'terminate' | 'detach'; graceMs?: number },
): Promise<O> {
  throwIfAborted(signal);
  if (!signal) return pool.run(input);
  const graceMs = options.graceMs ?? CANCEL_GRACE_MS;
  const { port1, port2 } = new MessageChannel();
  const terminate = new AbortController();
  let giveUp: (reason: unknown) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
  gaveUp.catch(() => {});
  let grace: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    port1.postMessage(String(signal.reason));
    grace = setTimeout(() => {
      if (options.afterGrace === 'terminate') terminate.abort(signal.reason);
      else giveUp(signal.reason);
    }, graceMs);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const running = pool.run(
      { ...input, cancel: port2 },
      options.afterGrace === 'terminate'
        ? { signal: terminate.signal, transferList: [port2] }
        : { transferList: [port2] },
    );
    running.catch(() => {});
    const out = await Promise.race([running, gaveUp]);
    throwIfAborted(signal);
    return out;
  } catch (err) {
    if (signal.aborted) throw new AbortError(signal.reason);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(grace);
    port1.close();
  }
}

/**
 * In the worker: a signal that fires when the caller cancels through `port`. Call `done()`
 * when the task ends, to close the port.
 */
export function cancelSignalOf(port: MessagePort | undefined): {
  signal: AbortSignal;
  done(): void;
} {
  const controller = new AbortController();
  port?.once('message', (reason: unknown) => controller.abort(reason));
  return { signal: controller.signal, done: () => port?.close() };
}
