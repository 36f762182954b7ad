/**
 * Gaussian splats on the CPU, stored raw as in the INRIA PLY (structure of arrays):
 * - means: N*3 world positions
 * - logScales: N*3 natural-log standard deviations (world units)
 * - quats: N*4 rotation quaternions (w, x, y, z), not necessarily normalized
 * - logitOpacities: N logit(opacity)
 * - sh: N * K * 3 spherical-harmonic coefficients, K = (shDegree+1)^2, layout [gaussian][coef][rgb];
 *   coefficient 0 is the DC term, colour = 0.5 + C0 * dc (C0 = 0.28209479177387814).
 */
export interface GaussianCloud {
  count: number;
  shDegree: number;
  means: Float32Array;
  logScales: Float32Array;
  quats: Float32Array;
  logitOpacities: Float32Array;
  sh: Float32Array;
}

/** SH band-0 constant, 1 / (2 sqrt(pi)). */
export const SH_C0 = 0.28209479177387814;

/** Number of SH coefficients per channel for a degree: (d+1)^2. */
export function shCoeffCount(degree: number): number {
  return (degree + 1) * (degree + 1);
}

/** Allocates a zeroed cloud of `count` Gaussians (identity quats) with SH degree `shDegree`. */
export function createGaussianCloud(count: number, shDegree: number): GaussianCloud {
  const quats = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) quats[i * 4] = 1;
  return {
    count,
    shDegree,
    means: new Float32Array(count * 3),
    logScales: new Float32Array(count * 3),
    quats,
    logitOpacities: new Float32Array(count),
    sh: new Float32Array(count * shCoeffCount(shDegree) * 3),
  };
}

/** Logit of p (clamped to (1e-6, 1-1e-6)). */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

/** Logistic sigmoid. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * The Gaussians of `a` followed by those of `b` (a's indices are kept), at the higher SH degree of
 * the two (missing coefficients are zero).
 */
export function concatClouds(a: GaussianCloud, b: GaussianCloud): GaussianCloud {
  const deg = Math.max(a.shDegree, b.shDegree);
  const K = shCoeffCount(deg);
  const out = createGaussianCloud(a.count + b.count, deg);
  let o = 0;
  for (const c of [a, b]) {
    out.means.set(c.means, o * 3);
    out.logScales.set(c.logScales, o * 3);
    out.quats.set(c.quats, o * 4);
    out.logitOpacities.set(c.logitOpacities, o);
    const kc = shCoeffCount(c.shDegree);
    for (let i = 0; i < c.count; i++) out.sh.set(c.sh.subarray(i * kc * 3, (i + 1) * kc * 3), (o + i) * K * 3);
    o += c.count;
  }
  return out;
}
