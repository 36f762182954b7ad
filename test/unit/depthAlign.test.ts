import { describe, expect, it } from 'vitest';
import { alignScaleShift, applyScaleShift, mulberry32 } from '../../src/depth/alignDepth';

/** Ground-truth-like depth: a slanted plane plus bumps, 96x72, metres. */
function groundTruth(W: number, H: number): Float32Array {
  const d = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d[y * W + x] = 2 + (3 * y) / H + 0.4 * Math.sin(x / 7) * Math.cos(y / 5);
  return d;
}

describe('alignScaleShift (robust scale + shift)', () => {
  it('recovers a known scale and shift with 30% outliers within 1% (depth)', () => {
    const W = 96;
    const H = 72;
    const gt = groundTruth(W, H);
    const rand = mulberry32(7);
    const [s, t] = [0.37, -0.52]; // relative = (gt - t) / s, i.e. gt = s * relative + t
    const rel = new Float32Array(gt.length);
    let outliers = 0;
    for (let i = 0; i < gt.length; i++) {
      rel[i] = (gt[i] - t) / s + (rand() - 0.5) * 0.01; // small noise
      if (rand() < 0.3) {
        rel[i] = rand() * 40 - 10; // gross outlier, anywhere in a wide range
        outliers++;
      }
    }
    expect(outliers / gt.length).toBeGreaterThan(0.28);
    const fit = alignScaleShift(rel, gt, null);
    expect(Math.abs(fit.scale / s - 1)).toBeLessThan(0.01);
    expect(Math.abs(fit.shift - t)).toBeLessThan(0.01 * Math.abs(t));
    expect(fit.inliers).toBeGreaterThan(0.6 * gt.length);
    expect(fit.inliers).toBeLessThan(0.8 * gt.length);
    // Plain least squares is far off on the same data, so the robust part is what passes.
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < gt.length; i++) {
      sx += rel[i]; sy += gt[i]; sxx += rel[i] * rel[i]; sxy += rel[i] * gt[i];
    }
    const n = gt.length;
    const lsScale = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    expect(Math.abs(lsScale / s - 1)).toBeGreaterThan(0.2);
    const back = applyScaleShift(rel, fit);
    let close = 0;
    for (let i = 0; i < n; i++) if (Math.abs(back[i] - gt[i]) < 0.02 * gt[i]) close++;
    expect(close / n).toBeGreaterThan(0.68); // the inliers map back onto the ground truth
  });

  it('fits in disparity space and honours weights and unknown (0) depth', () => {
    const W = 64;
    const H = 48;
    const gt = groundTruth(W, H);
    const rand = mulberry32(3);
    const [s, t] = [2.5, 0.05]; // 1/gt = s * rel + t
    const rel = new Float32Array(gt.length);
    const weight = new Float32Array(gt.length).fill(1);
    const metric = Float32Array.from(gt);
    for (let i = 0; i < gt.length; i++) {
      rel[i] = (1 / gt[i] - t) / s;
      const u = rand();
      if (u < 0.2) {
        metric[i] = 0; // unknown
        rel[i] = 100;
      } else if (u < 0.5) {
        weight[i] = 0; // excluded by weight
        rel[i] = -100;
      }
    }
    const fit = alignScaleShift(rel, metric, weight, { target: 'disparity' });
    expect(fit.scale).toBeCloseTo(s, 4);
    expect(fit.shift).toBeCloseTo(t, 5);
    const d = applyScaleShift(rel, fit, 'disparity');
    const good = metric.findIndex((m, i) => m > 0 && weight[i] > 0);
    expect(d[good]).toBeCloseTo(gt[good], 3);
  });

  it('throws clear errors on bad input', () => {
    expect(() => alignScaleShift(new Float32Array(3), new Float32Array(4), null)).toThrow(/relative has 3 values but metric has 4/);
    expect(() => alignScaleShift(new Float32Array(4), new Float32Array(4), null)).toThrow(/usable pixels/);
    expect(() => alignScaleShift(new Float32Array(4).fill(1), new Float32Array(4).fill(2), null)).toThrow(/all equal/);
    expect(() => alignScaleShift(new Float32Array(4), new Float32Array(4), new Float32Array(2))).toThrow(/weight has 2/);
  });
});

describe('sparseDepthFromPoints', () => {
  it('splats points to their pixels with the nearest depth and aligns a relative map to them', async () => {
    const { Camera } = await import('../../src/core/Camera');
    const { sparseDepthFromPoints } = await import('../../src/depth/sparseDepth');
    const cam = new Camera([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], 50, 50, 16, 12, 32, 24, 'c');
    // Points on a plane z = 2 + x, plus one behind another, one behind the camera, one off-image.
    const xyz: number[] = [];
    for (let k = 0; k < 60; k++) {
      const x = ((k % 10) - 5) * 0.05;
      const y = (Math.floor(k / 10) - 3) * 0.05;
      const z = 2 + x;
      xyz.push(x, y, z);
    }
    xyz.push(0, 0, 5, 0, 0, -1, 10, 0, 1);
    const scene = {
      name: 't', cameras: [cam], images: [{ width: 32, height: 24, data: new Float32Array(32 * 24 * 3) }], imageNames: ['c'],
      points: { xyz: Float32Array.from(xyz), rgb: new Float32Array(xyz.length) }, background: [0, 0, 0] as [number, number, number], protocol: 'even' as const,
    };
    const d = sparseDepthFromPoints(scene, 0);
    const filled = d.filter((v) => v > 0).length;
    expect(filled).toBe(60);
    expect(d[Math.floor(12) * 32 + 16]).toBeCloseTo(2, 5); // (0,0,2) wins over (0,0,5)
    // A relative map that is an affine function of true depth aligns exactly on those pixels.
    const rel = new Float32Array(32 * 24);
    for (let p = 0; p < rel.length; p++) rel[p] = d[p] > 0 ? (d[p] - 0.3) / 1.7 : 123;
    const fit = alignScaleShift(rel, d, null);
    expect(fit.scale).toBeCloseTo(1.7, 4);
    expect(fit.shift).toBeCloseTo(0.3, 4);
    expect(() => sparseDepthFromPoints({ ...scene, points: undefined }, 0)).toThrow(/no 3D points/);
  });
});
