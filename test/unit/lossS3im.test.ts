import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { S3imLoss } from '../../src/train/losses/S3imLoss';
import { s3imLossRef, ssimPlanar } from '../../src/train/losses/reference';
import { S3IM, feistelHalfBits, permute, permuteInverse, s3imVirtualPatchPixels } from '../../src/train/losses/random';
import { ssim as ssimMetric } from '../../src/eval/metrics';
import { centralDiff, randomArray, relMaxErr, rng, runAndRead, upload, zeros } from './lossTestUtils';

describe('S3IM sampling (GPU-reproducible)', () => {
  it('permute is a bijection of [0, n) and permuteInverse inverts it', () => {
    for (const n of [1, 7, 192, 4800]) {
      const m = feistelHalfBits(n);
      const seen = new Uint8Array(n);
      for (let x = 0; x < n; x++) {
        const y = permute(x, n, m, 12345 + n);
        expect(y).toBeLessThan(n);
        seen[y]++;
        expect(permuteInverse(y, n, m, 12345 + n)).toBe(x);
      }
      expect(seen.every((v) => v === 1)).toBe(true);
    }
  });

  it('draws 4096 distinct pixels, repeated 10 times, repeat 0 in sample order', () => {
    const W = 80, H = 60;
    const pix = s3imVirtualPatchPixels(W, H, 99);
    expect(pix.length).toBe(S3IM.samples * S3IM.repeats);
    const first = new Set(pix.subarray(0, 4096));
    expect(first.size).toBe(4096);
    for (let r = 1; r < 10; r++) {
      const block = pix.subarray(r * 4096, (r + 1) * 4096);
      expect(new Set(block)).toEqual(first);
      expect(Array.from(block)).not.toEqual(Array.from(pix.subarray(0, 4096))); // permuted
    }
    expect(Array.from(s3imVirtualPatchPixels(W, H, 100).subarray(0, 50))).not.toEqual(Array.from(pix.subarray(0, 50)));
  });

  it('covers every pixel of a small image (fewer pixels than samples)', () => {
    const pix = s3imVirtualPatchPixels(16, 12, 5);
    const counts = new Uint32Array(192);
    for (const p of pix.subarray(0, 4096)) counts[p]++;
    // 4096 = 21 * 192 + 64: every pixel 21 or 22 times
    expect(Math.min(...counts)).toBe(21);
    expect(Math.max(...counts)).toBe(22);
  });
});

describe('S3imLoss', () => {
  it('ssimPlanar (pytorch-ssim) with window 11, stride 1 equals the metrics ssim()', () => {
    const W = 13, H = 9;
    const a = randomArray(W * H * 3, 1).map(Math.fround), b = randomArray(W * H * 3, 2).map(Math.fround);
    const planar = (x: Float64Array) => Float64Array.from({ length: W * H * 3 }, (_, i) => x[(i % (W * H)) * 3 + Math.floor(i / (W * H))]);
    const s = ssimPlanar(planar(a), planar(b), 3, H, W, 11, 1).ssim;
    expect(s).toBeCloseTo(ssimMetric({ width: W, height: H, data: Float32Array.from(a) }, { width: W, height: H, data: Float32Array.from(b) }), 10);
  });

  it('CPU reference gradient matches central finite differences (16x12)', () => {
    const W = 16, H = 12;
    const render = randomArray(W * H * 3, 3);
    const target = randomArray(W * H * 3, 4);
    const ref = s3imLossRef(render, target, W, H, 77, 0.9);
    const f = (x: Float64Array) => s3imLossRef(x, target, W, H, 77, 0.9).loss;
    const r = rng(9);
    for (let t = 0; t < 60; t++) {
      const i = Math.floor(r() * render.length);
      const fd = centralDiff(f, render, i, 1e-5);
      expect(Math.abs(fd - ref.grad[i])).toBeLessThan(1e-8 + 1e-5 * Math.abs(fd));
    }
    expect(ref.grad.some((g) => Math.abs(g) > 1e-6)).toBe(true);
  });

  for (const [W, H] of [[16, 12], [83, 61]]) {
    it(`GPU loss = 1 - SSIM of the CPU virtual patch, gradient = reference (${W}x${H})`, async () => {
      const gpu = await acquireGpu();
      const render = randomArray(W * H * 3, 10 + W);
      const noise = randomArray(W * H * 3, 20 + W, -0.3, 0.3);
      const target = render.map((v, i) => Math.min(1, Math.max(0, v + noise[i])));
      const seed = 0xdeadbeef + W;
      const ref = s3imLossRef(render, target, W, H, seed, 0.5);
      const direct = ssimPlanar(ref.patchRender, ref.patchTarget, 3, 64, 640, 4, 4).ssim;
      const loss = await S3imLoss.create(gpu);
      const rB = upload(gpu, render), tB = upload(gpu, target), gB = upload(gpu, randomArray(W * H * 3, 1)), lB = zeros(gpu, 8);
      const g0 = randomArray(W * H * 3, 1);
      const [g, l] = await runAndRead(gpu, (enc) => loss.record(enc, { width: W, height: H, render: rB, target: tB, gradRender: gB, weight: 0.5, lossOut: lB, lossSlot: 5, seed }), [gB, lB]);
      expect(Math.abs(l[5] - 0.5 * (1 - direct))).toBeLessThan(2e-6);
      expect(Math.abs(l[5] - ref.loss)).toBeLessThan(2e-6);
      const added = Float64Array.from(g, (v, i) => v - Math.fround(g0[i]));
      expect(relMaxErr(added, ref.grad)).toBeLessThan(1e-3);
      // The GPU touched exactly the pixels of the CPU generator's sample.
      const sampled = new Set(s3imVirtualPatchPixels(W, H, seed));
      for (let p = 0; p < W * H; p++) {
        const touched = added[3 * p] !== 0 || added[3 * p + 1] !== 0 || added[3 * p + 2] !== 0;
        expect(touched).toBe(sampled.has(p));
      }
      expect(sampled.size).toBe(Math.min(4096, W * H));
      loss.destroy();
    });
  }
});
