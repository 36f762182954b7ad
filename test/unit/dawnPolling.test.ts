import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { dawnPollStats, installDawnPollThrottle } from '../../src/gpu/dawnPolling';
import { bindEntries, cachedPipeline, recordPass, uniformWith } from '../../src/gpu/passes';
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';

describe('dawn.node poll throttle', () => {
  it('polls a long GPU wait about once per millisecond, not in a busy loop', async () => {
    if (process.env.SPARSESPLAT_DAWN_POLL === 'busy') return; // the throttle was switched off on purpose
    const gpu = await acquireGpu();
    const d = gpu.device;
    // One invocation spinning on a uniform-sized loop: tens of milliseconds of GPU time on any driver.
    const code = `@group(0) @binding(0) var<uniform> n: vec4u;
      @group(0) @binding(1) var<storage, read_write> out: array<f32>;
      @compute @workgroup_size(1) fn main() {
        var x = 0.0;
        for (var i = 0u; i < n.x; i++) { x = fract(x * 1.0001 + 0.37); }
        out[0] = x; }`;
    const p = await cachedPipeline(d, code, 'main', 'pollTest');
    const out = createStorageBuffer(d, new Float32Array(4), 'out');
    const run = async (iters: number) => {
      const enc = d.createCommandEncoder();
      recordPass(enc, 'test', p, bindEntries(d, p, { 0: uniformWith(d, Uint32Array.from([iters, 0, 0, 0]), 'n'), 1: out }), [1]);
      d.queue.submit([enc.finish()]);
      const before = dawnPollStats();
      const t0 = performance.now();
      await d.queue.onSubmittedWorkDone();
      return { ms: performance.now() - t0, polls: dawnPollStats().polls - before.polls, deferred: dawnPollStats().deferred - before.deferred };
    };
    await run(1000); // warm-up: compiles the pipeline
    let r = await run(2_000_000);
    for (let iters = 4_000_000; r.ms < 80 && iters <= 64_000_000; iters *= 2) r = await run(iters);
    expect(r.ms).toBeGreaterThan(60);
    // Busy polling runs 50-150 polls per ms; throttled, about one per ms after a 0.5 ms burst.
    expect(r.polls).toBeLessThan(r.ms + 1000);
    expect(r.deferred).toBeGreaterThan(0);
    expect(r.deferred).toBeLessThanOrEqual(r.ms + 10);
    expect(Number.isFinite((await readF32(d, out, 1))[0])).toBe(true);
  });

  it('leaves other setImmediate callers alone', async () => {
    await acquireGpu(); // installs the throttle in Node
    const got = await new Promise<string>((resolve) => setImmediate((a: string, b: string) => resolve(a + b), 'x', 'y'));
    expect(got).toBe('xy');
    let ran = false;
    const h = setImmediate(() => (ran = true));
    clearImmediate(h);
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toBe(false);
  });

  it('rejects bad settings', () => {
    expect(() => installDawnPollThrottle({ intervalMs: -1 })).toThrow(/intervalMs/);
    expect(() => installDawnPollThrottle({ burstMs: Number.NaN })).toThrow(/burstMs/);
  });
});
