import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { Adam, DEFAULT_ADAM, type LearningRates } from '../../src/train/Adam';
import { GROUP_WIDTH, GaussianBuffers, PARAM_GROUPS } from '../../src/splat/GaussianBuffers';
import { readF32, writeBuffer } from '../../src/gpu/buffers';

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

describe('Adam', () => {
  it.each([3, 1])('two GPU steps equal a float64 CPU reference for every parameter group (SH degree %i; higher bands untouched)', async (shDegree) => {
    const gpu = await acquireGpu();
    const n = 37;
    const params = new GaussianBuffers(gpu.device, n);
    const grads = new GaussianBuffers(gpu.device, n);
    params.count = grads.count = n;
    params.shDegree = grads.shDegree = shDegree;
    const activeSh = 3 * (shDegree + 1) ** 2;
    const lrs: LearningRates = { means: 1e-2, logScales: 5e-3, quats: 1e-3, logitOpacities: 5e-2, sh: 2.5e-3, shRest: 1e-4 };
    const adam = await Adam.create(gpu, n);
    const cpu: Record<string, { p: Float64Array; m: Float64Array; v: Float64Array }> = {};
    PARAM_GROUPS.forEach((g, gi) => {
      const p = rand(n * GROUP_WIDTH[g], 10 + gi);
      writeBuffer(gpu.device, params.buffers[g], p);
      cpu[g] = { p: Float64Array.from(p), m: new Float64Array(p.length), v: new Float64Array(p.length) };
    });
    const { beta1, beta2, eps } = DEFAULT_ADAM;
    for (let t = 1; t <= 2; t++) {
      PARAM_GROUPS.forEach((g, gi) => {
        const gr = rand(n * GROUP_WIDTH[g], 100 * t + gi);
        if (g === 'means') gr[5] = NaN; // a non-finite gradient is treated as zero
        writeBuffer(gpu.device, grads.buffers[g], gr);
        const c = cpu[g];
        for (let i = 0; i < gr.length; i++) {
          if (g === 'sh' && i % GROUP_WIDTH.sh >= activeSh) continue; // bands above the degree: no update
          const gi2 = Number.isFinite(gr[i]) ? gr[i] : 0;
          c.m[i] = beta1 * c.m[i] + (1 - beta1) * gi2;
          c.v[i] = beta2 * c.v[i] + (1 - beta2) * gi2 * gi2;
          const lr = g === 'sh' && i % GROUP_WIDTH.sh >= 3 ? lrs.shRest : lrs[g];
          const mhat = c.m[i] / (1 - beta1 ** t);
          const vhat = c.v[i] / (1 - beta2 ** t);
          c.p[i] -= (lr * mhat) / (Math.sqrt(vhat) + eps);
        }
      });
      const enc = gpu.device.createCommandEncoder();
      adam.record(enc, params, grads, lrs);
      gpu.device.queue.submit([enc.finish()]);
    }
    for (const g of PARAM_GROUPS) {
      const got = await readF32(gpu.device, params.buffers[g], n * GROUP_WIDTH[g]);
      const want = cpu[g].p;
      let maxErr = 0;
      for (let i = 0; i < got.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      expect(maxErr, g).toBeLessThan(1e-6);
      expect(got.every(Number.isFinite)).toBe(true);
    }
  });

  it('opacity decay multiplies every opacity by the factor after the step, other groups untouched', async () => {
    const gpu = await acquireGpu();
    const n = 40;
    const params = new GaussianBuffers(gpu.device, n);
    const grads = new GaussianBuffers(gpu.device, n);
    params.count = grads.count = n;
    grads.clear();
    // Logits from -30 (opacity ~1e-13) to 30 (opacity ~1 - 1e-13).
    const logits = Float32Array.from({ length: n }, (_, i) => -30 + (60 * i) / (n - 1));
    writeBuffer(gpu.device, params.buffers.logitOpacities, logits);
    const means = rand(n * 3, 7);
    writeBuffer(gpu.device, params.buffers.means, means);
    const adam = await Adam.create(gpu, n);
    const lrs: LearningRates = { means: 1e-2, logScales: 0, quats: 0, logitOpacities: 5e-2, sh: 0, shRest: 0 };
    const enc = gpu.device.createCommandEncoder();
    adam.record(enc, params, grads, lrs, 0.9); // zero gradients: Adam itself moves nothing
    gpu.device.queue.submit([enc.finish()]);
    const got = await readF32(gpu.device, params.buffers.logitOpacities, n);
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    for (let i = 0; i < n; i++) {
      expect(Number.isFinite(got[i])).toBe(true);
      expect(sigmoid(got[i]) / sigmoid(logits[i]), `logit ${logits[i]}`).toBeCloseTo(0.9, 4);
    }
    expect(Array.from(await readF32(gpu.device, params.buffers.means, n * 3))).toEqual(Array.from(means));
    expect(() => adam.record(gpu.device.createCommandEncoder(), params, grads, lrs, 0)).toThrow(/opacityDecay/);
  });
});
