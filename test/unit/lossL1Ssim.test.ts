import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { L1SsimLoss } from '../../src/train/losses/L1SsimLoss';
import { l1SsimLossRef } from '../../src/train/losses/reference';
import { ssim as ssimMetric } from '../../src/eval/metrics';
import { centralDiff, randomArray, relMaxErr, runAndRead, upload, zeros } from './lossTestUtils';

describe('L1SsimLoss (3DGS L1 + D-SSIM)', () => {
  it('CPU reference gradient matches central finite differences (16x12)', () => {
    const W = 16, H = 12;
    const render = randomArray(W * H * 3, 1);
    const target = randomArray(W * H * 3, 2);
    const ref = l1SsimLossRef(render, target, W, H, 0.2, 1.3);
    const f = (x: Float64Array) => l1SsimLossRef(x, target, W, H, 0.2, 1.3).loss;
    let checked = 0;
    for (let i = 0; i < render.length; i++) {
      if (Math.abs(render[i] - target[i]) < 1e-4) continue; // |.| kink
      const fd = centralDiff(f, render, i, 1e-6);
      expect(Math.abs(fd - ref.grad[i])).toBeLessThan(1e-7 + 1e-4 * Math.abs(fd));
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('reference SSIM term equals the metrics ssim()', () => {
    const W = 20, H = 14;
    const a = randomArray(W * H * 3, 3);
    const b = randomArray(W * H * 3, 4);
    const ref = l1SsimLossRef(a, b, W, H, 1, 1); // lambda 1: loss = 1 - SSIM
    const s = ssimMetric({ width: W, height: H, data: Float32Array.from(a) }, { width: W, height: H, data: Float32Array.from(b) });
    expect(1 - ref.loss).toBeCloseTo(s, 5);
  });

  it('GPU loss and gradient equal the CPU reference (37x29, several tiles), gradient is added', async () => {
    const gpu = await acquireGpu();
    const W = 37, H = 29;
    const render = randomArray(W * H * 3, 5);
    // target: a smooth-ish perturbation so SSIM is not trivial
    const noise = randomArray(W * H * 3, 6, -0.2, 0.2);
    const target = render.map((v, i) => Math.min(1, Math.max(0, v + noise[i])));
    const prior = randomArray(W * H * 3, 7, -1, 1);
    const loss = await L1SsimLoss.create(gpu);
    const rB = upload(gpu, render), tB = upload(gpu, target), gB = upload(gpu, prior), lB = zeros(gpu, 4);
    const [g, l] = await runAndRead(gpu, (enc) => loss.record(enc, { width: W, height: H, render: rB, target: tB, gradRender: gB, lambdaSsim: 0.2, weight: 0.7, lossOut: lB, lossSlot: 2 }), [gB, lB]);
    const ref = l1SsimLossRef(render, target, W, H, 0.2, 0.7);
    expect(Math.abs(l[2] - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(l[0]).toBe(0);
    const added = Float64Array.from(g, (v, i) => v - prior[i]);
    expect(relMaxErr(added, ref.grad)).toBeLessThan(2e-4);
    loss.destroy();
  });

  it('identical images give zero loss', async () => {
    const gpu = await acquireGpu();
    const W = 16, H = 16;
    const img = randomArray(W * H * 3, 8);
    const loss = await L1SsimLoss.create(gpu);
    const a = upload(gpu, img), g = zeros(gpu, W * H * 3), l = zeros(gpu, 1);
    const [lv] = await runAndRead(gpu, (enc) => loss.record(enc, { width: W, height: H, render: a, target: a, gradRender: g, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 0 }), [l]);
    expect(Math.abs(lv[0])).toBeLessThan(1e-6);
  });

  it('rejects a too-small buffer naming the field', async () => {
    const gpu = await acquireGpu();
    const loss = await L1SsimLoss.create(gpu);
    const small = zeros(gpu, 10), ok = zeros(gpu, 48), l = zeros(gpu, 1);
    const enc = gpu.device.createCommandEncoder();
    expect(() => loss.record(enc, { width: 4, height: 4, render: ok, target: small, gradRender: ok, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 0 })).toThrow(/target buffer/);
    expect(() => loss.record(enc, { width: 4, height: 4, render: ok, target: ok, gradRender: ok, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 1 })).toThrow(/lossOut/);
  });
});
