import { mulberry32 } from '../core/random';
/** Options of alignScaleShift. */
export interface AlignOptions {
  /**
   * Space of the fit: 'depth' fits scale * relative + shift ~ metric; 'disparity' fits
   * scale * relative + shift ~ 1 / metric (for disparity-like predictions such as Depth Anything).
   * Default 'depth'.
   */
  target?: 'depth' | 'disparity';
  /** Random 2-point samples of the least-median-of-squares start [300]. */
  samples?: number;
  /** Reweighting iterations [20]. */
  iterations?: number;
  /** Inlier threshold in robust standard deviations (1.4826 * MAD) [3]. */
  threshold?: number;
  /** Seed of the deterministic sampler [1]. */
  seed?: number;
}

/** Result of alignScaleShift: the mapping and how many pixels it was fitted on. */
export interface ScaleShift {
  scale: number;
  shift: number;
  /** Pixels inside the final inlier band (the last fit uses exactly these). */
  inliers: number;
}

/**
 * Robust per-view scale and shift of a relative depth (or disparity) map to metric depth,
 * as monocular-depth priors are aligned in MiDaS (Ranftl et al. 2020, eq. 4: least squares in
 * scale and shift) and DNGaussian / RDG-GS, made robust to outliers (wrong MVS depth, sky, edges):
 * 1. least median of squares over random 2-point fits (Rousseeuw 1984) for a start that survives up to
 *    ~50% outliers, then 2. iteratively trimmed, weighted least squares on the pixels whose residual is
 *    under threshold * 1.4826 * median |residual| of the current inliers.
 * Pixels take part when metric > 0, both values are finite and weight (if given) > 0; weights scale
 * each pixel's squared residual.
 * @param relative H*W prediction (any affine-related unit)
 * @param metric H*W metric depth (camera z, world units; 0 = unknown)
 * @param weight H*W non-negative weights (e.g. MVS confidence) or null for 1
 * @returns scale, shift (metric ~ scale * relative + shift, or 1/metric in 'disparity' mode), inliers
 * @throws Error when the lengths differ or fewer than 2 usable pixels with distinct relative values remain
 */
export function alignScaleShift(
  relative: Float32Array,
  metric: Float32Array,
  weight: Float32Array | null,
  opts: AlignOptions = {},
): ScaleShift {
  if (relative.length !== metric.length) {
    throw new Error(`alignScaleShift: relative has ${relative.length} values but metric has ${metric.length}`);
  }
  if (weight && weight.length !== metric.length) {
    throw new Error(`alignScaleShift: weight has ${weight.length} values, expected ${metric.length}`);
  }
  const disparity = opts.target === 'disparity';
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i < metric.length; i++) {
    const m = metric[i];
    const r = relative[i];
    const w = weight ? weight[i] : 1;
    if (!(m > 0) || !Number.isFinite(m) || !Number.isFinite(r) || !(w > 0)) continue;
    xs.push(r);
    ys.push(disparity ? 1 / m : m);
    ws.push(w);
  }
  const n = xs.length;
  if (n < 2) throw new Error(`alignScaleShift: only ${n} usable pixels (metric > 0, finite, weight > 0); need at least 2`);

  // 1. Least median of squares start.
  const rand = mulberry32(opts.seed ?? 1);
  const samples = opts.samples ?? 300;
  let best = { scale: NaN, shift: NaN, med: Infinity };
  const res = new Float64Array(n);
  // Medians of the start are taken on a fixed random subset (speed on full-resolution maps).
  const sub = Array.from({ length: Math.min(n, 4000) }, (_, k) => (n <= 4000 ? k : Math.floor(rand() * n)));
  const subRes = new Float64Array(sub.length);
  for (let s = 0; s < samples; s++) {
    const i = Math.floor(rand() * n);
    const j = Math.floor(rand() * n);
    const dx = xs[i] - xs[j];
    if (Math.abs(dx) < 1e-12) continue;
    const scale = (ys[i] - ys[j]) / dx;
    const shift = ys[i] - scale * xs[i];
    sub.forEach((k, q) => (subRes[q] = Math.abs(ys[k] - scale * xs[k] - shift)));
    const med = quickMedian(subRes);
    if (med < best.med) best = { scale, shift, med };
  }
  if (!Number.isFinite(best.scale)) {
    // Every sampled pair was degenerate: fall back to a plain weighted fit (throws if all x are equal).
    const f = weightedFit(xs, ys, ws, null);
    best = { ...f, med: Infinity };
  }

  // 2. Iteratively trimmed weighted least squares.
  const threshold = opts.threshold ?? 3;
  let { scale, shift } = best;
  let inlier = new Uint8Array(n);
  for (let it = 0; it < (opts.iterations ?? 20); it++) {
    const kept: number[] = [];
    for (let k = 0; k < n; k++) {
      res[k] = Math.abs(ys[k] - scale * xs[k] - shift);
      if (it === 0 || inlier[k]) kept.push(res[k]);
    }
    // Robust sigma from the current inliers only, so that outliers do not widen the band.
    const sigma = 1.4826 * quickMedian(Float64Array.from(kept));
    const band = Math.max(threshold * sigma, 1e-12 * (Math.abs(shift) + 1));
    const next = new Uint8Array(n);
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (res[k] <= band) {
        next[k] = 1;
        count++;
      }
    }
    if (count < 2) break;
    const f = weightedFit(xs, ys, ws, next);
    const same = next.every((v, k) => v === inlier[k]);
    scale = f.scale;
    shift = f.shift;
    inlier = next;
    if (same) break;
  }
  let inliers = 0;
  for (const v of inlier) inliers += v;
  return { scale, shift, inliers };
}

/**
 * Applies a fit to a relative map: metric depth per pixel (camera z). In 'disparity' mode the fitted
 * disparity is inverted; non-positive disparities give 0 (unknown).
 */
export function applyScaleShift(relative: Float32Array, fit: { scale: number; shift: number }, target: 'depth' | 'disparity' = 'depth'): Float32Array {
  const out = new Float32Array(relative.length);
  for (let i = 0; i < relative.length; i++) {
    const v = fit.scale * relative[i] + fit.shift;
    out[i] = target === 'disparity' ? (v > 0 ? 1 / v : 0) : Math.max(0, v);
  }
  return out;
}

function weightedFit(xs: number[], ys: number[], ws: number[], mask: Uint8Array | null): { scale: number; shift: number } {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let k = 0; k < xs.length; k++) {
    if (mask && !mask[k]) continue;
    const w = ws[k];
    sw += w;
    sx += w * xs[k];
    sy += w * ys[k];
    sxx += w * xs[k] * xs[k];
    sxy += w * xs[k] * ys[k];
  }
  const det = sw * sxx - sx * sx;
  if (!(Math.abs(det) > 1e-18 * Math.max(1, sw * sxx))) {
    throw new Error('alignScaleShift: the relative values of the usable pixels are all equal; scale is undetermined');
  }
  const scale = (sw * sxy - sx * sy) / det;
  return { scale, shift: (sy - scale * sx) / sw };
}

/** Median of the values (reorders a copy). */
function quickMedian(a: Float64Array): number {
  const b = Float64Array.from(a);
  b.sort();
  const m = b.length >> 1;
  return b.length % 2 ? b[m] : 0.5 * (b[m - 1] + b[m]);
}


export { mulberry32 };
