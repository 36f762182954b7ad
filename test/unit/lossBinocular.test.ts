import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { Camera } from '../../src/core/Camera';
import { BINOCULAR_ALPHA_MIN, BinocularLoss, shiftedCamera } from '../../src/train/losses/BinocularLoss';
import { binocularLossRef } from '../../src/train/losses/reference';
import { centralDiff, randomArray, relMaxErr, runAndRead, upload, zeros } from './lossTestUtils';

const W = 14, H = 9;

/** Depth, alpha, shifted render and photo with alpha in (0.3, 1) (some pixels masked) and z in [2, 4]. */
function inputs(seed: number, w: number, h: number) {
  const n = w * h;
  const alpha = randomArray(n, seed, 0.3, 1);
  const z = randomArray(n, seed + 1, 2, 4);
  const depth = Float64Array.from(z, (v, i) => v * alpha[i]);
  return { depth, alpha, shifted: randomArray(3 * n, seed + 2), target: randomArray(3 * n, seed + 3) };
}

describe('BinocularLoss (Binocular3DGS self-consistency)', () => {
  it('CPU reference gradients match central finite differences (shifted, depth, alpha)', () => {
    const { depth, alpha, shifted, target } = inputs(11, W, H);
    const fxb = 7.3; // up to ~3.7 px of disparity at z = 2
    const ref = binocularLossRef(depth, alpha, shifted, target, W, H, fxb, 2, BINOCULAR_ALPHA_MIN);
    expect(ref.loss).toBeGreaterThan(0);
    const check = (x: Float64Array, grad: Float64Array, f: (v: Float64Array) => number, skip: (i: number) => boolean) => {
      let checked = 0;
      for (let i = 0; i < x.length; i++) {
        if (skip(i)) continue;
        const fd = centralDiff(f, x, i, 1e-7);
        expect(Math.abs(fd - grad[i])).toBeLessThan(1e-6);
        checked++;
      }
      return checked;
    };
    const loss = (d: Float64Array, a: Float64Array, s: Float64Array) => binocularLossRef(d, a, s, target, W, H, fxb, 2, BINOCULAR_ALPHA_MIN).loss;
    // Skip points where a tap index or an |.| kink or the alpha mask is within the step.
    const nearKink = (p: number) => {
      const xs = (p % W) - (fxb * alpha[p]) / depth[p];
      return Math.abs(xs - Math.round(xs)) < 1e-4 || Math.abs(alpha[p] - BINOCULAR_ALPHA_MIN) < 1e-4;
    };
    expect(check(shifted, ref.gradShifted, (s) => loss(depth, alpha, s), () => false)).toBe(3 * W * H);
    expect(check(depth, ref.gradDepth, (d) => loss(d, alpha, shifted), nearKink)).toBeGreaterThan(W * H - 5);
    expect(check(alpha, ref.gradAlpha, (a) => loss(depth, a, shifted), nearKink)).toBeGreaterThan(W * H - 5);
    // Masked pixels (alpha <= alphaMin) get no depth or alpha gradient; some pixels do.
    for (let p = 0; p < W * H; p++) if (alpha[p] <= BINOCULAR_ALPHA_MIN) expect(ref.gradDepth[p]).toBe(0);
    expect(ref.gradDepth.some((g) => g !== 0)).toBe(true);
  });

  it('a photo that is the shifted view seen at the true depth has zero loss; a wrong depth does not', () => {
    // A fronto-parallel plane at z = 2: the shifted camera sees column x of the photo at x + fx b / z.
    const w = 32, h = 4, fx = 20, b = 0.3, z = 2;
    const tex = (u: number) => 0.5 + 0.4 * Math.sin(u * 0.7);
    const photo = new Float64Array(3 * w * h);
    const shifted = new Float64Array(3 * w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
      photo[3 * (y * w + x) + c] = tex(x);
      shifted[3 * (y * w + x) + c] = tex(x + (fx * b) / z);
    }
    const ones = new Float64Array(w * h).fill(1);
    const at = (d: number) => binocularLossRef(ones.map(() => d), ones, shifted, photo, w, h, fx * b, 1, BINOCULAR_ALPHA_MIN).loss;
    expect(at(z)).toBeLessThan(0.02); // linear interpolation of a smooth texture: small residual
    expect(at(z * 1.5)).toBeGreaterThan(5 * at(z));
    // shiftedCamera moves the centre along +x by b: a point at depth z moves by -fx b / z pixels.
    const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], fx, fx, w / 2, h / 2, w, h);
    const s = shiftedCamera(cam, b);
    expect(s.center[0]).toBeCloseTo(b, 12);
    const X = [0.1, 0, z];
    const u = (c: Camera) => (c.fx * (c.R[0] * X[0] + c.R[1] * X[1] + c.R[2] * X[2] + c.t[0])) / z + c.cx;
    expect(u(s) - u(cam)).toBeCloseTo((-fx * b) / z, 12);
  });

  it('GPU loss and gradients equal the reference', async () => {
    const gpu = await acquireGpu();
    const w = 67, h = 21, n = w * h;
    const { depth, alpha, shifted, target } = inputs(5, w, h);
    const fxb = -9.1;
    const loss = await BinocularLoss.create(gpu);
    const bufs = { depth: upload(gpu, depth), alpha: upload(gpu, alpha), shifted: upload(gpu, shifted), target: upload(gpu, target) };
    // Gradients are added to what is there.
    const pre = randomArray(n, 9);
    const gS = zeros(gpu, 3 * n), gD = upload(gpu, pre), gA = zeros(gpu, n), lB = zeros(gpu, 4);
    const ref = binocularLossRef(depth, alpha, shifted, target, w, h, fxb, 0.7, BINOCULAR_ALPHA_MIN);
    const [l, s, d, a] = await runAndRead(gpu, (enc) => loss.record(enc, {
      width: w, height: h, renderDepth: bufs.depth, renderAlpha: bufs.alpha, shifted: bufs.shifted, target: bufs.target, fxBaseline: fxb,
      gradShifted: gS, gradDepth: gD, gradAlpha: gA, weight: 0.7, lossOut: lB, lossSlot: 2,
    }), [lB, gS, gD, gA]);
    expect(Math.abs(l[2] - ref.loss) / ref.loss).toBeLessThan(1e-4);
    expect(relMaxErr(s, ref.gradShifted)).toBeLessThan(1e-4);
    expect(relMaxErr(d.map((v, i) => v - pre[i]), ref.gradDepth)).toBeLessThan(1e-3);
    expect(relMaxErr(a, ref.gradAlpha)).toBeLessThan(1e-4);
    expect(() => loss.record(gpu.device.createCommandEncoder(), {
      width: w, height: h, renderDepth: bufs.depth, renderAlpha: bufs.alpha, shifted: bufs.depth, target: bufs.target, fxBaseline: fxb,
      gradShifted: gS, gradDepth: gD, gradAlpha: gA, weight: 0.7, lossOut: lB, lossSlot: 2,
    })).toThrow(/shifted buffer has/);
    loss.destroy();
  });
});
