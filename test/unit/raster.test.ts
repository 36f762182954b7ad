import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { GaussianBuffers } from '../../src/splat/GaussianBuffers';
import { GaussianRasterizer, type RasterOptions } from '../../src/splat/GaussianRasterizer';
import { referenceForward } from '../../src/splat/referenceRasterizer';
import { mulberry32, randomCamera, randomScene } from '../../src/splat/randomScene';

describe('GPU forward rasterizer vs float64 CPU reference', () => {
  it('matches on 24 random scenes of 600 Gaussians (64x48 and 96x64, SH 0-3, both antialiasing modes)', async () => {
    const gpu = await acquireGpu();
    const raster = await GaussianRasterizer.create(gpu, { maxIntersections: 1 << 16 });
    const gb = new GaussianBuffers(gpu.device, 600);
    let worst = { rgb: 0, alpha: 0, depth: 0 };
    let ambiguousTotal = 0;
    let pixelsTotal = 0;
    let covered = 0;
    let worstAmbiguous = 0;
    for (let s = 0; s < 24; s++) {
      const r = mulberry32(1000 + s);
      const [w, h] = s % 2 ? [96, 64] : [64, 48];
      const camera = randomCamera(r, w, h);
      const cloud = randomScene(r, camera, { count: 600, shDegree: s % 4 });
      const opts: RasterOptions = { background: [r(), r(), r()], antialiased: s % 3 === 1 };
      gb.upload(cloud);
      const gpuOut = await raster.render(gb, camera, opts);
      const ref = referenceForward(cloud, camera, opts);
      let errRgb = 0, errA = 0, errD = 0;
      for (let p = 0; p < w * h; p++) {
        if (ref.alpha[p] > 0.5) covered++;
        if (ref.ambiguous[p]) {
          for (let ch = 0; ch < 3; ch++) worstAmbiguous = Math.max(worstAmbiguous, Math.abs(gpuOut.rgb[p * 3 + ch] - ref.rgb[p * 3 + ch]));
          continue;
        }
        for (let ch = 0; ch < 3; ch++) errRgb = Math.max(errRgb, Math.abs(gpuOut.rgb[p * 3 + ch] - ref.rgb[p * 3 + ch]));
        errA = Math.max(errA, Math.abs(gpuOut.alpha[p] - ref.alpha[p]));
        errD = Math.max(errD, Math.abs(gpuOut.depth[p] - ref.depth[p]) / Math.max(1, Math.abs(ref.depth[p])));
      }
      const amb = ref.ambiguous.reduce((a, b) => a + b, 0);
      ambiguousTotal += amb;
      pixelsTotal += w * h;
      worst = { rgb: Math.max(worst.rgb, errRgb), alpha: Math.max(worst.alpha, errA), depth: Math.max(worst.depth, errD) };
      expect(errRgb, `scene ${s} rgb`).toBeLessThanOrEqual(1e-3);
      expect(errA, `scene ${s} alpha`).toBeLessThanOrEqual(1e-3);
      expect(errD, `scene ${s} depth (relative)`).toBeLessThanOrEqual(1e-3);
      // Intersections: rectangles equal up to float32 rounding at a few rectangle borders.
      expect(Math.abs(gpuOut.intersections - ref.intersections)).toBeLessThanOrEqual(Math.max(2, 0.002 * ref.intersections));
      for (const v of gpuOut.rgb) expect(Number.isFinite(v)).toBe(true);
    }
    console.log(`forward max errors ${JSON.stringify(worst)}, ambiguous pixels ${ambiguousTotal}/${pixelsTotal} (max rgb error there ${worstAmbiguous}), alpha > 0.5: ${covered}`);
    // The scenes are not trivially empty, and the ambiguity exclusion is rare.
    expect(covered).toBeGreaterThan(pixelsTotal * 0.3);
    expect(ambiguousTotal).toBeLessThan(pixelsTotal * 0.005);
  });
});
