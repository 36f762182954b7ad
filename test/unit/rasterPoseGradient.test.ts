import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer, type RasterOptions } from '../../src/splat/GaussianRasterizer';
import { referenceForward, type RefCloud } from '../../src/splat/referenceRasterizer';
import { mulberry32, randomCamera, randomScene } from '../../src/splat/randomScene';
import { applyPoseIncrement } from '../../src/eval/registerView';
import type { GaussianCloud } from '../../src/core/GaussianCloud';
import { Camera } from '../../src/core/Camera';

const toF64 = (c: GaussianCloud): RefCloud => ({
  count: c.count,
  shDegree: c.shDegree,
  means: Float64Array.from(c.means),
  logScales: Float64Array.from(c.logScales),
  quats: Float64Array.from(c.quats),
  logitOpacities: Float64Array.from(c.logitOpacities),
  sh: Float64Array.from(c.sh),
});

/**
 * The camera pose gradient of the backward (poseBackward + poseReduce) against central finite
 * differences of the float64 reference forward with the camera moved by applyPoseIncrement (the same
 * increment: rotation about the camera centre, translation in the camera frame, world units), and
 * its 7th component, dL/d(log f), against the focal scaled by exp(h).
 */
describe('GPU camera pose gradient vs finite differences of the float64 reference', () => {
  it.each([
    [0, false, 1e-2],
    [0, true, 1e-2],
    [3, false, 1e-2],
    [3, true, 1e-2],
  ] as const)('SH degree %s, antialiased=%s: each component within %s of the largest', async (deg, antialiased, tol) => {
    const gpu = await acquireGpu();
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16 });
    const r = mulberry32(900 + deg + (antialiased ? 1 : 0));
    const [w, h] = [64, 48];
    const camera = randomCamera(r, w, h);
    const cloud = randomScene(r, camera, { count: 300, shDegree: deg, scale: 0.08 });
    // over 256 Gaussians: two partial sums for poseReduce to add
    const opts: RasterOptions = { background: [0.3, 0.6, 0.9], antialiased };
    const u = () => 2 * r() - 1;
    const wts = { rgb: Float64Array.from({ length: w * h * 3 }, u), alpha: Float64Array.from({ length: w * h }, u), depth: Float64Array.from({ length: w * h }, () => 0.2 * u()) };
    const lossAt = (p: number[]): number => {
      const moved = applyPoseIncrement(camera, p, 1);
      const s = Math.exp(p[6]);
      const f = referenceForward(toF64(cloud), new Camera(moved.R, moved.t, moved.fx * s, moved.fy * s, moved.cx, moved.cy, w, h), opts);
      let l = 0;
      for (let i = 0; i < wts.rgb.length; i++) l += wts.rgb[i] * f.rgb[i];
      for (let i = 0; i < wts.alpha.length; i++) l += wts.alpha[i] * f.alpha[i] + wts.depth[i] * f.depth[i];
      return l;
    };
    // Central differences about 5 base poses spread along a random direction, median per component: a
    // discontinuity of the forward (a depth-order swap, the 1/255 alpha cut) lands inside at most one
    // of the 5 disjoint intervals (the true gradient changes by ~1e-6 relative over the spread).
    const step = 1e-7;
    const dir = [u(), u(), u(), u(), u(), u(), u()];
    const fd = [0, 1, 2, 3, 4, 5, 6].map((j) => {
      const estimates = [-2, -1, 0, 1, 2].map((m) => {
        const p = dir.map((x) => m * 1e-6 * x);
        p[j] += step;
        const lp = lossAt(p);
        p[j] -= 2 * step;
        return (lp - lossAt(p)) / (2 * step);
      });
      return estimates.sort((a, b) => a - b)[2];
    });

    const d = gpu.device;
    const gb = new GaussianBuffers(d, cloud.count);
    gb.upload(cloud);
    const grads = new GaussianBuffers(d, cloud.count);
    grads.count = cloud.count;
    grads.shDegree = deg;
    grads.clear();
    const poseGrad = createStorageBuffer(d, new Float32Array([0.5, 0, 0, 0, 0, 0, 0]), 'poseGrad');
    const enc = d.createCommandEncoder();
    raster.forward(enc, gb, camera, opts);
    raster.backward(
      enc,
      createStorageBuffer(d, Float32Array.from(wts.rgb), 'gRgb'),
      createStorageBuffer(d, Float32Array.from(wts.alpha), 'gA'),
      createStorageBuffer(d, Float32Array.from(wts.depth), 'gD'),
      grads,
      undefined,
      poseGrad,
    );
    d.queue.submit([enc.finish()]);
    const got = Array.from(await readF32(d, poseGrad, 7));
    got[0] -= 0.5; // the backward ADDS into the buffer
    const scale = Math.max(...fd.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    for (let j = 0; j < 7; j++) {
      expect(Math.abs(got[j] - fd[j]) / scale, `component ${j}: GPU ${got[j]} fd ${fd[j]}`).toBeLessThanOrEqual(tol);
    }
    console.log(`pose gradient deg ${deg} aa=${antialiased}: GPU ${got.map((x) => x.toPrecision(4))} fd ${fd.map((x) => x.toPrecision(4))}`);
  });
});
