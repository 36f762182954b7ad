import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { Camera } from '../../src/core/Camera';
import { REPROJECTION_ALPHA_MIN, ReprojectionLoss, reprojectionGeometry } from '../../src/train/losses/ReprojectionLoss';
import { reprojectionLossRef, type ReprojectionSourceRef } from '../../src/train/losses/reference';
import { centralDiff, randomArray, runAndRead, upload, zeros } from './lossTestUtils';

const W = 14, H = 9, F = 12;
const K = { fx: F, fy: F * 1.1, cx: W / 2 + 0.3, cy: H / 2 - 0.2 };

/** Rotation about y by angle a (row-major), as a world-to-camera R. */
function rotY(a: number): number[] {
  return [Math.cos(a), 0, -Math.sin(a), 0, 1, 0, Math.sin(a), 0, Math.cos(a)];
}

/** Reference camera at the origin, four sources around it looking at the same points (z in [2, 4]). */
function cameras(w: number, h: number) {
  const ref = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], K.fx, K.fy, K.cx, K.cy, w, h, 'ref');
  const srcs = [
    new Camera(rotY(0.08), [-0.25, 0.02, 0.01], F * 0.95, F * 1.05, w / 2, h / 2, w, h, 'a'),
    new Camera(rotY(-0.06), [0.2, -0.03, 0.0], F, F, w / 2 - 0.4, h / 2 + 0.1, w, h, 'b'),
    new Camera(rotY(0.03), [0.05, 0.22, -0.02], F * 1.02, F, w / 2 + 0.2, h / 2, w, h, 'c'),
    new Camera(rotY(-0.1), [0.3, -0.2, 0.05], F, F * 0.97, w / 2, h / 2 - 0.3, w, h, 'd'),
  ];
  return { ref, srcs };
}

function inputs(seed: number, w: number, h: number) {
  const n = w * h;
  const alpha = randomArray(n, seed, 0.3, 1);
  const z = randomArray(n, seed + 1, 2, 4);
  const depth = Float64Array.from(z, (v, i) => v * alpha[i]);
  return { depth, alpha, target: randomArray(3 * n, seed + 2), photos: [3, 4, 5, 6].map((k) => randomArray(3 * n, seed + k)) };
}

describe('ReprojectionLoss (multi-view photometric consistency of the rendered depth)', () => {
  it('CPU reference gradients match central finite differences (depth, alpha, target)', () => {
    const { depth, alpha, target, photos } = inputs(21, W, H);
    const { ref, srcs } = cameras(W, H);
    const sources: ReprojectionSourceRef[] = srcs.slice(0, 2).map((s, i) => ({ ...reprojectionGeometry(ref, s), photo: photos[i] }));
    const run = (d: Float64Array, a: Float64Array, t = target) => reprojectionLossRef(d, a, t, W, H, K, sources, 2, REPROJECTION_ALPHA_MIN);
    const r = run(depth, alpha);
    expect(r.loss).toBeGreaterThan(0);
    // Kinks: a bilinear tap boundary, an |.| sign change, the per-pixel minimum switching source, the
    // alpha mask. A coordinate is skipped when a one-sided difference disagrees with the other side.
    const check = (x: Float64Array, grad: Float64Array, f: (v: Float64Array) => number) => {
      let checked = 0;
      for (let i = 0; i < x.length; i++) {
        const h = 1e-7;
        const x0 = x[i];
        x[i] = x0 + h;
        const fp = f(x);
        x[i] = x0 - h;
        const fm = f(x);
        x[i] = x0;
        const f0 = f(x);
        if (Math.abs((fp - f0) - (f0 - fm)) > 1e-9) continue;
        expect(Math.abs(centralDiff(f, x, i, h) - grad[i])).toBeLessThan(1e-6);
        checked++;
      }
      return checked;
    };
    expect(check(depth, r.gradDepth, (d) => run(d, alpha).loss)).toBeGreaterThan(W * H * 0.3);
    expect(check(alpha, r.gradAlpha, (a) => run(depth, a).loss)).toBeGreaterThan(W * H * 0.3);
    expect(check(target, r.gradTarget, (t) => run(depth, alpha, t).loss)).toBeGreaterThan(3 * W * H * 0.3);
    for (let p = 0; p < W * H; p++) if (alpha[p] <= REPROJECTION_ALPHA_MIN) expect(r.gradDepth[p]).toBe(0);
    expect(r.gradDepth.some((g) => g !== 0)).toBe(true);
  });

  it('a textured plane seen by the sources scores lowest at its true depth', () => {
    // Plane z = 2 in the reference camera; a source photo shows it as that source sees it.
    const w = 48, h = 32, zTrue = 2;
    const ref = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], 40, 40, w / 2, h / 2, w, h);
    const src = new Camera(rotY(0.05), [-0.3, 0.05, 0], 40, 40, w / 2, h / 2, w, h);
    const tex = (X: number, Y: number) => 0.5 + 0.25 * Math.sin(9 * X) + 0.2 * Math.cos(7 * Y);
    const photoOf = (cam: Camera) => {
      const img = new Float64Array(3 * w * h);
      // ray of pixel (x, y) in cam: world point where it meets z = zTrue (world = reference frame)
      const c = cam.center;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const dc = [(x + 0.5 - cam.cx) / cam.fx, (y + 0.5 - cam.cy) / cam.fy, 1];
        const dw = [0, 1, 2].map((j) => cam.R[j] * dc[0] + cam.R[3 + j] * dc[1] + cam.R[6 + j] * dc[2]);
        const s = (zTrue - c[2]) / dw[2];
        const v = tex(c[0] + s * dw[0], c[1] + s * dw[1]);
        for (let k = 0; k < 3; k++) img[3 * (y * w + x) + k] = v;
      }
      return img;
    };
    const target = photoOf(ref);
    const sources = [{ ...reprojectionGeometry(ref, src), photo: photoOf(src) }];
    const ones = new Float64Array(w * h).fill(1);
    const at = (z: number) => reprojectionLossRef(ones.map(() => z), ones, target, w, h, ref, sources, 1, REPROJECTION_ALPHA_MIN);
    expect(at(zTrue).loss).toBeLessThan(0.2 * at(zTrue * 1.1).loss);
    expect(at(zTrue).loss).toBeLessThan(0.2 * at(zTrue * 0.9).loss);
    // Slightly too far: the mean depth gradient points back toward the plane (descent moves z down).
    const g = at(zTrue * 1.03).gradDepth;
    expect(g.reduce((s, v) => s + v, 0)).toBeGreaterThan(0);
  });

  it('GPU loss and gradients (depth, alpha, target) equal the reference; bad sources are errors', async () => {
    const gpu = await acquireGpu();
    const w = 67, h = 21, n = w * h;
    const { depth, alpha, target, photos } = inputs(5, w, h);
    const { ref, srcs } = cameras(w, h);
    const geo = srcs.map((s) => reprojectionGeometry(ref, s));
    const loss = await ReprojectionLoss.create(gpu);
    const bufs = { depth: upload(gpu, depth), alpha: upload(gpu, alpha), target: upload(gpu, target), photos: photos.map((p) => upload(gpu, p)) };
    const preD = randomArray(n, 9);
    const preA = randomArray(n, 10);
    const preT = randomArray(3 * n, 11);
    // the target as a photo (no gradient) with 1 and 2 sources; as a render (gradTarget) with 2 and 4
    for (const [count, withTarget] of [[1, false], [2, false], [2, true], [4, true]] as const) {
      const gD = upload(gpu, preD), gA = upload(gpu, preA), gT = upload(gpu, preT), lB = zeros(gpu, 4);
      const sources = geo.slice(0, count).map((g, i) => ({ ...g, photo: bufs.photos[i] }));
      const r = reprojectionLossRef(depth, alpha, target, w, h, ref, geo.slice(0, count).map((g, i) => ({ ...g, photo: photos[i] })), 0.7, REPROJECTION_ALPHA_MIN);
      const [l, d, a, t] = await runAndRead(gpu, (enc) => loss.record(enc, {
        width: w, height: h, fx: ref.fx, fy: ref.fy, cx: ref.cx, cy: ref.cy, renderDepth: bufs.depth, renderAlpha: bufs.alpha, target: bufs.target,
        sources, gradDepth: gD, gradAlpha: gA, weight: 0.7, lossOut: lB, lossSlot: 3, gradTarget: withTarget ? gT : undefined,
      }), [lB, gD, gA, gT]);
      expect(Math.abs(l[3] - r.loss) / r.loss).toBeLessThan(1e-4);
      // f32 projection vs f64: a pixel may pick the other source where the two costs nearly tie
      const dd = d.map((v, i) => v - preD[i]);
      const da = a.map((v, i) => v - preA[i]);
      const agree = (x: Float32Array, y: Float64Array) => {
        const tol = 1e-3 * y.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        return x.filter((v, i) => Math.abs(v - y[i]) <= tol).length;
      };
      expect(agree(dd, r.gradDepth)).toBeGreaterThan(n - 3);
      expect(agree(da, r.gradAlpha)).toBeGreaterThan(n - 3);
      const dt = t.map((v, i) => v - preT[i]);
      if (withTarget) expect(agree(dt, r.gradTarget)).toBeGreaterThan(3 * n - 9);
      else expect(t.every((v, i) => v === Math.fround(preT[i]))).toBe(true);
      expect(r.gradTarget.some((v) => v !== 0)).toBe(true);
    }
    const base = {
      width: w, height: h, fx: ref.fx, fy: ref.fy, cx: ref.cx, cy: ref.cy, renderDepth: bufs.depth, renderAlpha: bufs.alpha, target: bufs.target,
      gradDepth: zeros(gpu, n), gradAlpha: zeros(gpu, n), weight: 1, lossOut: zeros(gpu, 4), lossSlot: 0,
    };
    const enc = gpu.device.createCommandEncoder();
    expect(() => loss.record(enc, { ...base, sources: [] })).toThrow(/sources must hold 1 to 4/);
    expect(() => loss.record(enc, { ...base, sources: [0, 1, 2, 3, 0].map((i) => ({ ...geo[i], photo: bufs.photos[i] })) })).toThrow(/sources must hold 1 to 4/);
    expect(() => loss.record(enc, { ...base, sources: [{ ...geo[0], photo: bufs.depth }] })).toThrow(/sources\[0\]\.photo buffer has/);
    expect(() => loss.record(enc, { ...base, sources: [{ ...geo[0], fx: NaN, photo: bufs.photos[0] }] })).toThrow(/sources\[0\]\.fx/);
    loss.destroy();
  });
});
