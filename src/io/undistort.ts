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

/** Where each output pixel samples the distorted image: top-left source index and bilinear weights. */
interface UndistortMap {
  key: string;
  x0: Int32Array;
  y0: Int32Array;
  ax: Float64Array;
  ay: Float64Array;
}

/** The last few maps: frames of one capture share their intrinsics, so the map is built once. */
const mapCache: UndistortMap[] = [];

function undistortMap(W: number, H: number, fx: number, fy: number, cx: number, cy: number, d: Distortion): UndistortMap {
  const k3 = d.k3 ?? 0;
  const key = [W, H, fx, fy, cx, cy, d.k1, d.k2, k3, d.p1, d.p2].join(',');
  const hit = mapCache.find((m) => m.key === key);
  if (hit) return hit;
  const n = W * H;
  const m: UndistortMap = { key, x0: new Int32Array(n), y0: new Int32Array(n), ax: new Float64Array(n), ay: new Float64Array(n) };
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
      const i = v * W + u;
      m.x0[i] = Math.floor(sx);
      m.y0[i] = Math.floor(sy);
      m.ax[i] = sx - m.x0[i];
      m.ay[i] = sy - m.y0[i];
    }
  }
  mapCache.unshift(m);
  if (mapCache.length > 2) mapCache.pop();
  return m;
}

/**
 * Resamples a distorted image into the ideal pinhole image with the same intrinsics (fx, fy, cx, cy
 * in pixels, pixel centres at integer + 0.5), bilinear, edge-clamped: output pixel (u, v) takes the
 * source colour at K * distort(K^-1 (u, v)). Same size as the input. The sampling map is cached
 * for the last intrinsics used (a capture's frames usually share them).
 */
export function undistortImage(img: ImageRGB, fx: number, fy: number, cx: number, cy: number, d: Distortion): ImageRGB {
  const { width: W, height: H } = img;
  const out = createImage(W, H);
  const m = undistortMap(W, H, fx, fy, cx, cy, d);
  const src = img.data;
  const dst = out.data;
  for (let i = 0; i < W * H; i++) {
    const x0 = m.x0[i];
    const y0 = m.y0[i];
    const ax = m.ax[i];
    const ay = m.ay[i];
    const dx = x0 < W - 1 ? 3 : 0;
    const dy = y0 < H - 1 ? W * 3 : 0;
    const s00 = (y0 * W + x0) * 3;
    const s10 = s00 + dx;
    const s01 = s00 + dy;
    const s11 = s01 + dx;
    for (let c = 0; c < 3; c++) {
      dst[i * 3 + c] = (src[s00 + c] * (1 - ax) + src[s10 + c] * ax) * (1 - ay) + (src[s01 + c] * (1 - ax) + src[s11 + c] * ax) * ay;
    }
  }
  return out;
}
