/**
 * Image-quality metrics on the CPU in float64, for evaluation and as references: PSNR and SSIM as
 * 3DGS reports them (utils/image_utils.py psnr, utils/loss_utils.py ssim).
 * Inputs are ImageRGB (row-major interleaved RGB, sRGB-encoded values in [0,1], no clamping here).
 */
import type { ImageRGB } from '../core/Image';

function checkPair(where: string, a: ImageRGB, b: ImageRGB): void {
  for (const [name, img] of [['a', a], ['b', b]] as const) {
    if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
      throw new Error(`${where}: image ${name} has invalid size ${img.width}x${img.height}`);
    }
    if (img.data.length !== img.width * img.height * 3) {
      throw new Error(`${where}: image ${name}.data has ${img.data.length} values, expected width*height*3 = ${img.width * img.height * 3}`);
    }
    const bad = img.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${where}: image ${name}.data[${bad}] is ${img.data[bad]} (not finite)`);
  }
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${where}: image sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
}

/** Mean squared error over all H*W*3 values. @throws Error when the sizes differ or data is malformed or not finite. */
export function mse(a: ImageRGB, b: ImageRGB): number {
  checkPair('mse', a, b);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    s += d * d;
  }
  return s / a.data.length;
}

/**
 * PSNR in dB with peak 1: 10 * log10(1 / MSE), MSE over all H*W*3 values (3DGS's psnr()).
 * Returns Infinity for identical images. @throws Error when the sizes differ or a value is not finite.
 */
export function psnr(a: ImageRGB, b: ImageRGB): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10(1 / m);
}

/** 11-tap Gaussian window, sigma 1.5, normalized (Wang et al. 2004). */
const WINDOW = (() => {
  const g = new Float64Array(11);
  let s = 0;
  for (let t = 0; t < 11; t++) s += g[t] = Math.exp(-((t - 5) ** 2) / (2 * 1.5 * 1.5));
  return g.map((v) => v / s);
})();

/** Separable 'same' Gaussian blur of a planar H*W channel with zero padding. */
function blur(src: Float64Array, w: number, h: number): Float64Array {
  const tmp = new Float64Array(w * h);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -5; k <= 5; k++) {
        const xx = x + k;
        if (xx >= 0 && xx < w) s += WINDOW[k + 5] * src[y * w + xx];
      }
      tmp[y * w + x] = s;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let k = -5; k <= 5; k++) {
        const yy = y + k;
        if (yy >= 0 && yy < h) s += WINDOW[k + 5] * tmp[yy * w + x];
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM (Wang et al. 2004, Eq. 13) as 3DGS's ssim(): 11-tap Gaussian window (sigma 1.5),
 * C1 = 0.01^2, C2 = 0.03^2 (data range 1), zero 'same' padding, computed per channel, then the
 * mean of the SSIM map over all H*W*3 entries. 1 for identical images.
 * @throws Error when the sizes differ, data is malformed or a value is not finite.
 */
export function ssim(a: ImageRGB, b: ImageRGB): number {
  checkPair('ssim', a, b);
  const { width: w, height: h } = a;
  const n = w * h;
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = a.data[i * 3 + c];
      y[i] = b.data[i * 3 + c];
    }
    const mx = blur(x, w, h);
    const my = blur(y, w, h);
    const exx = blur(x.map((v) => v * v), w, h);
    const eyy = blur(y.map((v) => v * v), w, h);
    const exy = blur(x.map((v, i) => v * y[i]), w, h);
    for (let i = 0; i < n; i++) {
      const sxx = exx[i] - mx[i] * mx[i];
      const syy = eyy[i] - my[i] * my[i];
      const sxy = exy[i] - mx[i] * my[i];
      total += ((2 * mx[i] * my[i] + C1) * (2 * sxy + C2)) / ((mx[i] * mx[i] + my[i] * my[i] + C1) * (sxx + syy + C2));
    }
  }
  return total / (n * 3);
}
