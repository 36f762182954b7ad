/**
 * Throttles dawn.node's event polling (Node only).
 *
 * While any WebGPU promise is pending (mapAsync, onSubmittedWorkDone, pipeline creation), dawn.node
 * polls the device from a callback it re-queues with the global `setImmediate` after every poll
 * (src/dawn/node/binding/AsyncRunner.cpp, "ScheduleProcessEvents"). That is a busy loop: the main
 * thread burns a whole core for as long as the GPU works. With a CPU driver (lavapipe on 2 cores)
 * it takes that core from the driver's compute threads: a training step measured 30-40% slower, and
 * its stage times varied by 2x from run to run.
 *
 * The throttle wraps the global `setImmediate`: Dawn's poll callbacks (native functions queued
 * without arguments) run at once for the first `burstMs` of a wait, so short waits keep their
 * latency, and then every `intervalMs` through `setTimeout`. Every other caller gets Node's own
 * `setImmediate` unchanged.
 */

/** Poll counters, for tests and benchmarks. */
export interface DawnPollStats {
  /** Dawn poll callbacks seen since install. */
  polls: number;
  /** Of those, the ones deferred by `intervalMs`. */
  deferred: number;
}

const stats: DawnPollStats = { polls: 0, deferred: 0 };
let installed: { intervalMs: number; burstMs: number } | undefined;

/** Whether `fn` looks like Dawn's poll callback: a native function (user callbacks are JS source). */
function isNativeCallback(fn: unknown, argCount: number): boolean {
  return typeof fn === 'function' && argCount === 0 && Function.prototype.toString.call(fn).includes('[native code]');
}

/**
 * Installs the throttle on `globalThis.setImmediate` (idempotent: a second call keeps the first
 * settings). Call it once the `webgpu` module is loaded in Node.
 * @param opts.intervalMs delay between polls once a wait is past its burst (ms, default 1; Node's timer resolution)
 * @param opts.burstMs how long a wait polls at full rate before throttling (ms, default 0.5)
 * @throws Error when intervalMs or burstMs is negative or not finite
 */
export function installDawnPollThrottle(opts: { intervalMs?: number; burstMs?: number } = {}): void {
  const intervalMs = opts.intervalMs ?? 1;
  const burstMs = opts.burstMs ?? 0.5;
  if (!(intervalMs >= 0 && Number.isFinite(intervalMs)) || !(burstMs >= 0 && Number.isFinite(burstMs))) {
    throw new Error(`installDawnPollThrottle: intervalMs and burstMs must be finite and >= 0, got ${intervalMs}, ${burstMs}`);
  }
  if (installed) return;
  installed = { intervalMs, burstMs };
  const nodeSetImmediate = globalThis.setImmediate;
  // Dawn re-queues its poll from inside the poll while the wait goes on: a poll queued from outside
  // one starts a new wait (and its burst clock).
  let inPoll = false;
  let waitStart = 0;
  const polling = (callback: () => void) => () => {
    inPoll = true;
    try {
      callback();
    } finally {
      inPoll = false;
    }
  };
  const throttled = function setImmediate(callback: (...a: unknown[]) => void, ...args: unknown[]) {
    if (!isNativeCallback(callback, args.length)) return nodeSetImmediate(callback, ...args);
    stats.polls++;
    const now = performance.now();
    if (!inPoll) waitStart = now;
    if (now - waitStart < burstMs) return nodeSetImmediate(polling(callback));
    stats.deferred++;
    return setTimeout(polling(callback), intervalMs);
  };
  globalThis.setImmediate = Object.assign(throttled, { __promisify__: nodeSetImmediate.__promisify__ }) as typeof globalThis.setImmediate;
}

/** Counters since install (a copy). */
export function dawnPollStats(): DawnPollStats {
  return { ...stats };
}
