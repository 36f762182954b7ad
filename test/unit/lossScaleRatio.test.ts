import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { ScaleRatioLoss } from '../../src/train/losses/ScaleRatioLoss';
import { scaleRatioLossRef } from '../../src/train/losses/reference';
import { centralDiff, randomArray, relMaxErr, runAndRead, upload, zeros } from './lossTestUtils';

describe('ScaleRatioLoss (PhysGaussian anisotropy regularizer)', () => {
  it('CPU reference gradient matches central finite differences; Gaussians under the ratio cost nothing', () => {
    const n = 40;
    const logScales = randomArray(n * 3, 5, -2, 0);
    const ref = scaleRatioLossRef(logScales, n, 0.7, 4);
    const f = (x: Float64Array) => scaleRatioLossRef(x, n, 0.7, 4).loss;
    let active = 0;
    for (let i = 0; i < n; i++) {
      const s = [0, 1, 2].map((k) => logScales[3 * i + k]);
      const over = Math.exp(Math.max(...s) - Math.min(...s)) > 4;
      if (over) active++;
      for (let k = 0; k < 3; k++) {
        const j = 3 * i + k;
        expect(Math.abs(centralDiff(f, logScales, j, 1e-6) - ref.grad[j])).toBeLessThan(1e-6);
        if (!over) expect(ref.grad[j]).toBe(0);
      }
    }
    // the draw has Gaussians on both sides of the ratio, so both branches are checked
    expect(active).toBeGreaterThan(5);
    expect(active).toBeLessThan(n - 5);
  });

  it('closed form: one needle of ratio 10 among round Gaussians', () => {
    const logScales = new Float64Array(4 * 3); // three round Gaussians (ratio 1)
    logScales.set([Math.log(0.5), Math.log(0.05), Math.log(0.2)], 9);
    // (10 - 3) / 4 Gaussians * weight 2
    expect(scaleRatioLossRef(logScales, 4, 2, 3).loss).toBeCloseTo((2 * 7) / 4, 12);
  });

  it('GPU loss and gradient equal the reference (adds into the gradient; more Gaussians than threads)', async () => {
    const gpu = await acquireGpu();
    const n = 20000; // > GRID (16384): the grid-stride loop runs twice for some threads
    const logScales = randomArray(n * 3, 9, -5, -1);
    const prior = randomArray(n * 3, 10, -1, 1);
    const ref = scaleRatioLossRef(logScales, n, 0.3, 6);
    const loss = await ScaleRatioLoss.create(gpu);
    const lB = zeros(gpu, 4);
    const gB = upload(gpu, prior);
    const out = await runAndRead(gpu, (enc) => loss.record(enc, { count: n, logScales: upload(gpu, logScales), gradLogScales: gB, weight: 0.3, maxRatio: 6, lossOut: lB, lossSlot: 2 }), [lB, gB]);
    expect(ref.loss).toBeGreaterThan(0);
    expect(Math.abs(out[0][2] - ref.loss) / ref.loss).toBeLessThan(1e-4);
    const delta = Float64Array.from(out[1], (v, i) => v - prior[i]);
    expect(relMaxErr(delta, ref.grad)).toBeLessThan(1e-4);
    loss.destroy();
  });

  it('rejects bad input with the field named', async () => {
    const gpu = await acquireGpu();
    const loss = await ScaleRatioLoss.create(gpu);
    const b = zeros(gpu, 30), lB = zeros(gpu, 4);
    const enc = gpu.device.createCommandEncoder();
    const ok = { count: 10, logScales: b, gradLogScales: b, weight: 1, maxRatio: 4, lossOut: lB, lossSlot: 0 };
    expect(() => loss.record(enc, { ...ok, count: 11 })).toThrow(/logScales/);
    expect(() => loss.record(enc, { ...ok, maxRatio: 0.5 })).toThrow(/maxRatio/);
    expect(() => loss.record(enc, { ...ok, weight: Number.NaN })).toThrow(/weight/);
    expect(() => loss.record(enc, { ...ok, count: -1 })).toThrow(/count/);
    loss.destroy();
  });
});
