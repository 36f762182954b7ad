import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/buffers';
import { DepthTvLoss } from '../../src/train/losses/DepthTvLoss';
import { depthTvLossRef } from '../../src/train/losses/reference';
import { centralDiff, randomArray, relMaxErr, rng, runAndRead, upload, zeros } from './lossTestUtils';

const W = 16, H = 12;

function mask(seed: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from({ length: W * H }, () => (r() < 0.8 ? 1 : 0));
}

describe('DepthTvLoss (CoherentGS total variation)', () => {
  for (const squared of [false, true]) {
    it(`CPU reference gradient matches central finite differences (${squared ? 'squared' : 'L1'}, masked)`, () => {
      const depth = randomArray(W * H, 1, 1, 5);
      const valid = mask(2);
      const ref = depthTvLossRef(depth, valid, W, H, 2, squared);
      const f = (x: Float64Array) => depthTvLossRef(x, valid, W, H, 2, squared).loss;
      for (let i = 0; i < depth.length; i++) {
        const fd = centralDiff(f, depth, i, 1e-6);
        expect(Math.abs(fd - ref.grad[i])).toBeLessThan(1e-7);
        if (!valid[i]) expect(ref.grad[i]).toBe(0);
      }
    });
  }

  it('closed form: a linear ramp d = x has L1 TV = H*(W-1) / P', () => {
    const depth = Float64Array.from({ length: W * H }, (_, i) => i % W);
    const P = H * (W - 1) + (H - 1) * W;
    expect(depthTvLossRef(depth, null, W, H, 1, false).loss).toBeCloseTo((H * (W - 1)) / P, 12);
  });

  it('GPU loss and gradient equal the reference (u32 mask, f32 mask, no mask; several records in one encoder)', async () => {
    const gpu = await acquireGpu();
    const Wb = 41, Hb = 23;
    const n = Wb * Hb;
    const depth = randomArray(n, 3, 0.5, 3);
    const r = rng(4);
    const m = Uint32Array.from({ length: n }, () => (r() < 0.7 ? 1 : 0));
    const loss = await DepthTvLoss.create(gpu);
    const dB = upload(gpu, depth), lB = zeros(gpu, 8);
    const mU = createStorageBuffer(gpu.device, m, 'maskU32');
    const mF = upload(gpu, m);
    const cases = [
      { valid: mU, squared: false, ref: depthTvLossRef(depth, m, Wb, Hb, 0.3, false) },
      { valid: mF, squared: true, ref: depthTvLossRef(depth, m, Wb, Hb, 0.3, true) },
      { valid: null, squared: false, ref: depthTvLossRef(depth, null, Wb, Hb, 0.3, false) },
    ];
    const grads = cases.map(() => zeros(gpu, n));
    const out = await runAndRead(gpu, (enc) => cases.forEach((c, k) => loss.record(enc, { width: Wb, height: Hb, depth: dB, valid: c.valid, gradDepth: grads[k], weight: 0.3, lossOut: lB, lossSlot: k, squared: c.squared })), [lB, ...grads]);
    cases.forEach((c, k) => {
      expect(Math.abs(out[0][k] - c.ref.loss) / c.ref.loss).toBeLessThan(1e-5);
      expect(relMaxErr(out[k + 1], c.ref.grad)).toBeLessThan(1e-5);
    });
    loss.destroy();
  });
});
