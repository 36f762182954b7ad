import type { ImageRGB } from '../core/Image';

/** Confidence given to filled pixels: above 0, so the per-pixel init places Gaussians there; at most 0.5, so the depth losses and priorCoverage still see only the MVS's own pixels. */
export const FILLED_CONFIDENCE = 0.25;

/** Options of fillDepthEdgeAware. */
export interface DepthFillOptions {
  /** H*W alpha in [0, 1]: pixels below 0.5 (transparent background) are left empty. */
  alpha?: Float32Array;
  /** Colour distance (sRGB, 0-1 per channel, Euclidean) at which a neighbour's weight falls to exp(-1/2). Default 0.1. */
  sigmaColor?: number;
  /** Edge-aware smoothing sweeps over the filled pixels at each pyramid level. Default 8. */
  sweeps?: number;
}

/**
 * Fills the depth of the pixels a depth prior left without a confident estimate (confidence <= 0,
 * depth <= 0 or not finite) from the confident ones around them, following the photo's edges.
 * Push-pull in inverse depth (Gortler et al., "The Lumigraph", 1996, section 3.4: a pyramid of
 * masked means, then each level's holes from the coarser level) with, at every level on the way
 * down, Jacobi sweeps of a joint-bilateral mean over the 4 neighbours (weights from the colour
 * difference, Kopf et al. 2007's joint bilateral idea), so depth does not bleed across edges.
 * Confident pixels are never changed. Edits `depth` and `confidence` in place: filled pixels get
 * their depth and FILLED_CONFIDENCE.
 * @param image the view's photo, W*H*3 sRGB in [0, 1], row-major
 * @param depth H*W camera-z depth (world units), 0 = none
 * @param confidence H*W confidence of `depth` in [0, 1]
 * @returns the fraction of the view's pixels filled (0 when no pixel is confident)
 * @throws Error when the map sizes disagree with the image
 */
export function fillDepthEdgeAware(image: ImageRGB, depth: Float32Array, confidence: Float32Array, opts: DepthFillOptions = {}): number {
  const { width: W, height: H } = image;
  const n = W * H;
  if (depth.length !== n || confidence.length !== n || image.data.length !== n * 3 || (opts.alpha && opts.alpha.length !== n)) {
    throw new Error(`fillDepthEdgeAware: ${W}x${H} image (${image.data.length / 3} pixels), ${depth.length} depths, ${confidence.length} confidences${opts.alpha ? `, ${opts.alpha.length} alphas` : ''}`);
  }
  const inv0 = new Float32Array(n);
  const w0 = new Uint8Array(n);
  let any = false;
  for (let p = 0; p < n; p++) {
    if (confidence[p] > 0 && depth[p] > 0 && Number.isFinite(depth[p])) {
      inv0[p] = 1 / depth[p];
      w0[p] = 1;
      any = true;
    }
  }
  if (!any) return 0;
  // Push: masked 2x2 means of inverse depth and colour, down to one pixel.
  const levels = [{ w: W, h: H, inv: inv0, has: w0, col: image.data }];
  while (levels[levels.length - 1].w > 1 || levels[levels.length - 1].h > 1) {
    const f = levels[levels.length - 1];
    const w = Math.ceil(f.w / 2);
    const h = Math.ceil(f.h / 2);
    const inv = new Float32Array(w * h);
    const has = new Uint8Array(w * h);
    const col = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        let m = 0;
        let cs = 0;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const fx = 2 * x + dx;
            const fy = 2 * y + dy;
            if (fx >= f.w || fy >= f.h) continue;
            const q = fy * f.w + fx;
            if (f.has[q]) {
              s += f.inv[q];
              m++;
            }
            r += f.col[q * 3];
            g += f.col[q * 3 + 1];
            b += f.col[q * 3 + 2];
            cs++;
          }
        }
        const p = y * w + x;
        if (m) {
          inv[p] = s / m;
          has[p] = 1;
        }
        col[p * 3] = r / cs;
        col[p * 3 + 1] = g / cs;
        col[p * 3 + 2] = b / cs;
      }
    }
    levels.push({ w, h, inv, has, col });
  }
  // Pull: each level's holes from the coarser level, then edge-aware sweeps over those holes.
  const sweeps = opts.sweeps ?? 8;
  const inv2s2 = 1 / (2 * (opts.sigmaColor ?? 0.1) ** 2);
  for (let l = levels.length - 2; l >= 0; l--) {
    const f = levels[l];
    const c = levels[l + 1];
    const holes: number[] = [];
    for (let y = 0; y < f.h; y++) {
      for (let x = 0; x < f.w; x++) {
        const p = y * f.w + x;
        if (f.has[p]) continue;
        f.inv[p] = c.inv[(y >> 1) * c.w + (x >> 1)];
        holes.push(p);
      }
    }
    for (let it = 0; it < sweeps && holes.length; it++) {
      const next = new Float32Array(holes.length);
      holes.forEach((p, i) => {
        const x = p % f.w;
        const y = (p - x) / f.w;
        let s = 0;
        let ws = 0;
        const add = (q: number) => {
          const d2 = (f.col[p * 3] - f.col[q * 3]) ** 2 + (f.col[p * 3 + 1] - f.col[q * 3 + 1]) ** 2 + (f.col[p * 3 + 2] - f.col[q * 3 + 2]) ** 2;
          const wq = Math.exp(-d2 * inv2s2) + 1e-6;
          s += wq * f.inv[q];
          ws += wq;
        };
        if (x > 0) add(p - 1);
        if (x < f.w - 1) add(p + 1);
        if (y > 0) add(p - f.w);
        if (y < f.h - 1) add(p + f.w);
        next[i] = ws > 0 ? s / ws : f.inv[p];
      });
      holes.forEach((p, i) => (f.inv[p] = next[i]));
    }
  }
  let filled = 0;
  for (let p = 0; p < n; p++) {
    if (w0[p] || (opts.alpha && !(opts.alpha[p] >= 0.5)) || !(inv0[p] > 0)) continue;
    depth[p] = 1 / inv0[p];
    confidence[p] = FILLED_CONFIDENCE;
    filled++;
  }
  return filled / n;
}
