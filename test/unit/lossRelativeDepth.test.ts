import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/buffers';
import { RelativeDepthLoss } from '../../src/train/losses/RelativeDepthLoss';
import { relativeDepthLossRef } from '../../src/train/losses/reference';
import { centralDiff, randomArray, relMaxErr, rng, runAndRead, upload, zeros } from './lossTestUtils';

/** A smooth depth map with structure, plus noise, so correlations are neither 0 nor 1. */
function depthMap(W: number, H: number, seed: number, noise: number): Float64Array {
  const n = randomArray(W * H, seed, -noise, noise);
  return Float64Array.from({ length: W * H }, (_, i) => 2 + Math.sin((i % W) * 0.4) + 0.5 * Math.cos(Math.floor(i / W) * 0.3) + n[i]);
}

describe('RelativeDepthLoss (Pearson, patches + global)', () => {
  it('CPU reference gradient matches central finite differences (16x12, mask, alpha, overlapping patches)', () => {
    const W = 16, H = 12;
    const render = depthMap(W, H, 1, 0.5);
    const prior = depthMap(W, H, 2, 0.5).map((v) => 3 * v + 1);
    const r = rng(3);
    const valid = Uint32Array.from({ length: W * H }, () => (r() < 0.85 ? 1 : 0));
    const alpha = randomArray(W * H, 4, 0.2, 1);
    const opts = { patchSize: 6, patches: 8, globalWeight: 0.7, weight: 1.7, seed: 42, alphaThreshold: 0.3 };
    const ref = relativeDepthLossRef(render, prior, valid, alpha, W, H, opts);
    const f = (x: Float64Array) => relativeDepthLossRef(x, prior, valid, alpha, W, H, opts).loss;
    for (let i = 0; i < render.length; i++) {
      const fd = centralDiff(f, render, i, 1e-6);
      expect(Math.abs(fd - ref.grad[i])).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
      if (!valid[i] || alpha[i] <= 0.3) expect(ref.grad[i]).toBe(0);
    }
    expect(ref.loss).toBeGreaterThan(0.05);
  });

  it('is invariant to scale and shift of the prior and zero for an affine prior', () => {
    const W = 20, H = 15;
    const render = depthMap(W, H, 5, 0.3);
    const prior = depthMap(W, H, 6, 0.3);
    const opts = { patchSize: 5, patches: 10, globalWeight: 1, weight: 1, seed: 7, alphaThreshold: 0.5 };
    const base = relativeDepthLossRef(render, prior, null, null, W, H, opts).loss;
    const scaled = relativeDepthLossRef(render, prior.map((v) => 40 * v - 3), null, null, W, H, opts).loss;
    expect(base).toBeGreaterThan(0.1);
    expect(Math.abs(scaled - base)).toBeLessThan(1e-3); // exact up to the eps variance floor
    expect(relativeDepthLossRef(render, render.map((v) => 0.2 * v + 5), null, null, W, H, opts).loss).toBeLessThan(1e-3);
    expect(relativeDepthLossRef(render, render.map((v) => -v), null, null, W, H, opts).loss).toBeGreaterThan(3.9);
  });

  it('GPU loss and gradient equal the reference (mask + alpha; no mask; global only)', async () => {
    const gpu = await acquireGpu();
    const W = 45, H = 31, n = W * H;
    const render = depthMap(W, H, 8, 0.4);
    const prior = depthMap(W, H, 9, 0.4).map((v) => 0.5 * v + 10);
    const r = rng(10);
    const valid = Uint32Array.from({ length: n }, () => (r() < 0.9 ? 1 : 0));
    const alpha = randomArray(n, 11, 0, 1);
    const loss = await RelativeDepthLoss.create(gpu);
    const rB = upload(gpu, render), pB = upload(gpu, prior), vB = createStorageBuffer(gpu.device, valid, 'valid'), aB = upload(gpu, alpha), lB = zeros(gpu, 4);
    const cases = [
      { valid: vB, alpha: aB, patches: 20, patchSize: 9, refValid: valid, refAlpha: alpha },
      { valid: null, alpha: null, patches: 64, patchSize: 16, refValid: null, refAlpha: null },
      { valid: vB, alpha: null, patches: 0, patchSize: 16, refValid: valid, refAlpha: null },
    ];
    const seeds = [1234, -123456789, 0xfffffff0]; // any integer works as a u32 seed (the trainer xors seeds)
    const grads = cases.map(() => zeros(gpu, n));
    const out = await runAndRead(gpu, (enc) => cases.forEach((c, k) => loss.record(enc, {
      width: W, height: H, renderDepth: rB, renderAlpha: c.alpha, priorDepth: pB, valid: c.valid, gradDepth: grads[k],
      patchSize: c.patchSize, patches: c.patches, globalWeight: 0.5, weight: 0.8, lossOut: lB, lossSlot: k, seed: seeds[k],
    })), [lB, ...grads]);
    cases.forEach((c, k) => {
      const ref = relativeDepthLossRef(render, prior, c.refValid, c.refAlpha, W, H, { patchSize: c.patchSize, patches: c.patches, globalWeight: 0.5, weight: 0.8, seed: seeds[k] >>> 0, alphaThreshold: 0.5 });
      expect(Math.abs(out[0][k] - ref.loss)).toBeLessThan(1e-5 + 1e-4 * ref.loss);
      expect(relMaxErr(out[k + 1], ref.grad)).toBeLessThan(1e-3);
    });
    loss.destroy();
  });

  it('rejects a patch larger than the image', async () => {
    const gpu = await acquireGpu();
    const loss = await RelativeDepthLoss.create(gpu);
    const b = zeros(gpu, 64), l = zeros(gpu, 1);
    const enc = gpu.device.createCommandEncoder();
    expect(() => loss.record(enc, { width: 8, height: 8, renderDepth: b, priorDepth: b, gradDepth: b, patchSize: 16, patches: 4, globalWeight: 1, weight: 1, lossOut: l, lossSlot: 0, seed: 1 })).toThrow(/patchSize/);
  });
});
