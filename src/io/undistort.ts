import { createImage, type ImageRGB } from '../core/Image';

/**
 * Brown-Conrady distortion as COLMAP's OPENCV / RADIAL / SIMPLE_RADIAL models and nerfstudio's
 * OPENCV camera_model define it (normalized image coordinates x, y; r2 = x^2 + y^2):
 *   x_d = x (1 + k1 r2 + k2 r2^2 + k3 r2^3) + 2 p1 x y + p2 (r2 + 2 x^2)
 *   y_d = y (1 + k1 r2 + k2 r2^2 + k3 r2^3) + p1 (r2 + 2 y^2) + 2 p2 x y
 */
export interface Distortion {
  k1: number;
  k2: number;
  p1: number;
  p2: number;
  k3?: number;
}

/** True when every coefficient is zero (nothing to undistort). */
export function isZeroDistortion(d: Distortion): boolean {
  return !d.k1 && !d.k2 && !d.p1 && !d.p2 && !d.k3;
}

/**
 * Resamples a distorted image into the ideal pinhole image with the same intrinsics (fx, fy, cx, cy
 * in pixels, pixel centres at integer + 0.5), bilinear, edge-clamped: output pixel (u, v) takes the
 * source colour at K * distort(K^-1 (u, v)). Same size as the input.
 */
export function undistortImage(img: ImageRGB, fx: number, fy: number, cx: number, cy: number, d: Distortion): ImageRGB {
  const { width: W, height: H } = img;
  const out = createImage(W, H);
  const k3 = d.k3 ?? 0;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const x = (u + 0.5 - cx) / fx;
      const y = (v + 0.5 - cy) / fy;
      const r2 = x * x + y * y;
      const radial = 1 + r2 * (d.k1 + r2 * (d.k2 + r2 * k3));
      const xd = x * radial + 2 * d.p1 * x * y + d.p2 * (r2 + 2 * x * x);
      const yd = y * radial + d.p1 * (r2 + 2 * y * y) + 2 * d.p2 * x * y;
      const sx = Math.min(W - 1, Math.max(0, fx * xd + cx - 0.5));
      const sy = Math.min(H - 1, Math.max(0, fy * yd + cy - 0.5));
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(W - 1, x0 + 1);
      const y1 = Math.min(H - 1, y0 + 1);
      const ax = sx - x0;
      const ay = sy - y0;
      for (let c = 0; c < 3; c++) {
        const p00 = img.data[(y0 * W + x0) * 3 + c];
        const p10 = img.data[(y0 * W + x1) * 3 + c];
        const p01 = img.data[(y1 * W + x0) * 3 + c];
        const p11 = img.data[(y1 * W + x1) * 3 + c];
        out.data[(v * W + u) * 3 + c] = (p00 * (1 - ax) + p10 * ax) * (1 - ay) + (p01 * (1 - ax) + p11 * ax) * ay;
      }
    }
  }
  return out;
}
