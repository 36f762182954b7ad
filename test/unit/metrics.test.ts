import { describe, expect, it } from 'vitest';
import { mse, psnr, ssim } from '../../src/eval/metrics';
import type { ImageRGB } from '../../src/core/Image';
import { ssimPlanar } from '../../src/train/losses/reference';
import { randomArray } from './lossTestUtils';

function img(w: number, h: number, f: (i: number) => number): ImageRGB {
  return { width: w, height: h, data: Float32Array.from({ length: w * h * 3 }, (_, i) => f(i)) };
}

/** A textured test image (smooth gradients + a checker), values in [0.1, 0.9]. */
function scene(w: number, h: number): ImageRGB {
  return img(w, h, (i) => {
    const p = Math.floor(i / 3), c = i % 3, x = p % w, y = Math.floor(p / w);
    return 0.5 + 0.25 * Math.sin(x * 0.3 + c) * Math.cos(y * 0.2) + 0.15 * (((x >> 2) + (y >> 2)) % 2 ? 1 : -1);
  });
}

describe('PSNR', () => {
  it('is Infinity for identical images', () => {
    const a = scene(24, 16);
    expect(psnr(a, a)).toBe(Infinity);
  });

  it('matches the closed form for a constant offset: -20 log10(delta)', () => {
    const a = scene(24, 16);
    for (const delta of [0.1, 0.01, 0.25]) {
      const b = img(24, 16, (i) => a.data[i] + delta);
      // float32 storage of a + delta: compare with the exact mse, and the closed form to ~1e-5 dB
      expect(psnr(a, b)).toBeCloseTo(-20 * Math.log10(delta), 4);
      expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / mse(a, b)), 12);
    }
    expect(psnr(a, img(24, 16, (i) => a.data[i] + 0.1))).toBeCloseTo(20, 4);
  });

  it('rejects images of different size, naming the problem', () => {
    expect(() => psnr(scene(4, 4), scene(4, 5))).toThrow(/sizes differ/);
    expect(() => psnr({ width: 4, height: 4, data: new Float32Array(10) }, scene(4, 4))).toThrow(/a\.data has 10 values/);
    const nan = scene(4, 4);
    nan.data[7] = NaN;
    expect(() => psnr(scene(4, 4), nan)).toThrow(/b\.data\[7\] is NaN/);
    expect(() => ssim(nan, scene(4, 4))).toThrow(/a\.data\[7\] is NaN/);
  });
});

describe('SSIM (11-tap Gaussian, sigma 1.5, as 3DGS)', () => {
  it('is 1 for an image with itself', () => {
    const a = scene(40, 30);
    expect(ssim(a, a)).toBeCloseTo(1, 12);
  });

  it('decreases monotonically with noise', () => {
    const a = scene(40, 30);
    let prev = 1;
    for (const [k, sigma] of [0.01, 0.05, 0.1, 0.3].entries()) {
      const n = randomArray(a.data.length, 100 + k, -1, 1);
      const s = ssim(a, img(40, 30, (i) => a.data[i] + sigma * n[i]));
      expect(s).toBeLessThan(prev);
      prev = s;
    }
    expect(prev).toBeLessThan(0.8); // 0.68 measured at noise amplitude 0.3
  });

  it('equals a direct (non-separable) 2-D window implementation', () => {
    const w = 19, h = 13;
    const a = scene(w, h);
    const n = randomArray(w * h * 3, 7, -0.2, 0.2);
    const b = img(w, h, (i) => a.data[i] + n[i]);
    const planar = (m: ImageRGB) => Float64Array.from({ length: w * h * 3 }, (_, i) => m.data[(i % (w * h)) * 3 + Math.floor(i / (w * h))]);
    expect(ssim(a, b)).toBeCloseTo(ssimPlanar(planar(a), planar(b), 3, h, w, 11, 1).ssim, 12);
  });

  it('is symmetric and below 1 for different images', () => {
    const a = scene(20, 20);
    const b = img(20, 20, (i) => 0.9 - 0.8 * a.data[i]);
    expect(ssim(a, b)).toBeCloseTo(ssim(b, a), 12);
    expect(ssim(a, b)).toBeLessThan(0);
  });
});
