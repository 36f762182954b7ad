import { beforeAll, describe, expect, it } from 'vitest';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { L1SsimLoss } from '../../src/train/losses/L1SsimLoss';
import { l1SsimLossRef } from '../../src/train/losses/reference';
import { ssim as ssimMetric } from '../../src/eval/metrics';
import { centralDiff, randomArray, relMaxErr, runAndRead, upload, zeros } from './lossTestUtils';

describe('L1SsimLoss (3DGS L1 + D-SSIM)', () => {
  // One instance for the file: its pipelines take seconds to compile on SwiftShader.
  let gpu: GpuContext;
  let loss: L1SsimLoss;
  beforeAll(async () => {
    gpu = await acquireGpu();
    loss = await L1SsimLoss.create(gpu);
  });

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

  it('GPU loss and gradient equal the CPU reference (37x29: partial segments), gradient is added', async () => {
    const W = 37, H = 29;
    const render = randomArray(W * H * 3, 5);
    // target: a smooth-ish perturbation so SSIM is not trivial
    const noise = randomArray(W * H * 3, 6, -0.2, 0.2);
    const target = render.map((v, i) => Math.min(1, Math.max(0, v + noise[i])));
    const prior = randomArray(W * H * 3, 7, -1, 1);
    const rB = upload(gpu, render), tB = upload(gpu, target), gB = upload(gpu, prior), lB = zeros(gpu, 4);
    const [g, l] = await runAndRead(gpu, (enc) => loss.record(enc, { width: W, height: H, render: rB, target: tB, gradRender: gB, lambdaSsim: 0.2, weight: 0.7, lossOut: lB, lossSlot: 2 }), [gB, lB]);
    const ref = l1SsimLossRef(render, target, W, H, 0.2, 0.7);
    expect(Math.abs(l[2] - ref.loss) / ref.loss).toBeLessThan(1e-5);
    expect(l[0]).toBe(0);
    const added = Float64Array.from(g, (v, i) => v - prior[i]);
    expect(relMaxErr(added, ref.grad)).toBeLessThan(2e-4);
  });

  it('identical images give zero loss', async () => {
    const W = 16, H = 16;
    const img = randomArray(W * H * 3, 8);
    const a = upload(gpu, img), g = zeros(gpu, W * H * 3), l = zeros(gpu, 1);
    const [lv] = await runAndRead(gpu, (enc) => loss.record(enc, { width: W, height: H, render: a, target: a, gradRender: g, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 0 }), [l]);
    expect(Math.abs(lv[0])).toBeLessThan(1e-6);
  });

  it('two records of different sizes in one encoder both match the reference (scratch growth)', async () => {
    const sizes = [[9, 7], [40, 21]];
    const data = sizes.map(([w, h], k) => ({ w, h, r: randomArray(w * h * 3, 30 + k), t: randomArray(w * h * 3, 40 + k) }));
    const bufs = data.map((d) => ({ r: upload(gpu, d.r), t: upload(gpu, d.t), g: zeros(gpu, d.w * d.h * 3) }));
    const l = zeros(gpu, 2);
    const out = await runAndRead(gpu, (enc) => data.forEach((d, k) => loss.record(enc, { width: d.w, height: d.h, render: bufs[k].r, target: bufs[k].t, gradRender: bufs[k].g, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: k })), [l, ...bufs.map((b) => b.g)]);
    data.forEach((d, k) => {
      const ref = l1SsimLossRef(d.r, d.t, d.w, d.h, 0.2, 1);
      expect(Math.abs(out[0][k] - ref.loss) / ref.loss).toBeLessThan(1e-5);
      expect(relMaxErr(out[k + 1], ref.grad)).toBeLessThan(2e-4);
    });
  });

  it('rejects a too-small buffer naming the field', async () => {
    const small = zeros(gpu, 10), ok = zeros(gpu, 48), l = zeros(gpu, 1);
    const enc = gpu.device.createCommandEncoder();
    expect(() => loss.record(enc, { width: 4, height: 4, render: ok, target: small, gradRender: ok, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 0 })).toThrow(/target buffer/);
    expect(() => loss.record(enc, { width: 4, height: 4, render: ok, target: ok, gradRender: ok, lambdaSsim: 0.2, weight: 1, lossOut: l, lossSlot: 1 })).toThrow(/lossOut/);
  });
});
