import { Random } from '../core/random';
import { choleskySolve, cross3, mul3, normalize3, nullVector, skew3, svd3, transpose3 } from './linalg';
import { cameraCenter, type PinholeCamera } from './projection';
import { rotationFromAxisAngle } from './rotation';
import { maxParallaxAngle, triangulateDLT } from './triangulate';

/*
 * Essential matrix between two calibrated views, with the convention x2^T E x1 = 0 for normalized
 * coordinates x = ((u - cx) / f, (v - cy) / f, 1) and E = [t]x R, where (R, t) maps camera-1
 * coordinates to camera-2 coordinates (x_cam2 = R x_cam1 + t, OpenCV world-to-camera with camera 1
 * as the world). Solver: the normalized 8-point algorithm (Hartley 1997, "In defense of the
 * eight-point algorithm") with projection onto the essential manifold (two equal singular values,
 * third zero; Hartley & Zisserman, Result 9.19), not Nister's 5-point: it needs 8 samples per RANSAC
 * hypothesis (0.7^8 = 6% all-inlier samples at 30% outliers) and is degenerate for planar scenes.
 */

/**
 * Essential matrix from >= 8 correspondences by the normalized 8-point algorithm.
 * @param x1 N*2 normalized coordinates in view 1 (see the file comment)
 * @param x2 N*2 normalized coordinates in view 2
 * @param subset optional indices of the correspondences to use (all when omitted)
 * @returns E, row-major 3x3 with singular values (1, 1, 0), or null when the points are degenerate
 * @throws Error when fewer than 8 correspondences are given
 */
export function essentialEightPoint(x1: ArrayLike<number>, x2: ArrayLike<number>, subset?: ArrayLike<number>): Float64Array | null {
  const n = subset ? subset.length : x1.length / 2;
  if (n < 8) throw new Error(`essentialEightPoint: need at least 8 correspondences, got ${n}`);
  const index = (k: number): number => (subset ? subset[k] : k);
  // Hartley normalization: centroid to the origin, mean distance sqrt(2)
  const normalization = (x: ArrayLike<number>): [number, number, number] => {
    let mx = 0;
    let my = 0;
    for (let k = 0; k < n; k++) {
      mx += x[2 * index(k)];
      my += x[2 * index(k) + 1];
    }
    mx /= n;
    my /= n;
    let d = 0;
    for (let k = 0; k < n; k++) d += Math.hypot(x[2 * index(k)] - mx, x[2 * index(k) + 1] - my);
    d /= n;
    if (!(d > 1e-15)) return [0, 0, 0];
    return [Math.SQRT2 / d, mx, my];
  };
  const [s1, m1x, m1y] = normalization(x1);
  const [s2, m2x, m2y] = normalization(x2);
  if (s1 === 0 || s2 === 0) return null;
  const A = new Float64Array(n * 9);
  for (let k = 0; k < n; k++) {
    const i = index(k);
    const ax = (x1[2 * i] - m1x) * s1;
    const ay = (x1[2 * i + 1] - m1y) * s1;
    const bx = (x2[2 * i] - m2x) * s2;
    const by = (x2[2 * i + 1] - m2y) * s2;
    A.set([bx * ax, bx * ay, bx, by * ax, by * ay, by, ax, ay, 1], k * 9);
  }
  const f = nullVector(A, n, 9);
  const T1 = [s1, 0, -s1 * m1x, 0, s1, -s1 * m1y, 0, 0, 1];
  const T2 = [s2, 0, -s2 * m2x, 0, s2, -s2 * m2y, 0, 0, 1];
  const E = mul3(mul3(transpose3(T2), f), T1);
  return projectToEssential(E);
}

/**
 * Nearest essential matrix: U diag(1, 1, 0) V^T from the SVD of M (Hartley & Zisserman, Result 9.19;
 * the common scale is dropped). Returns null for a zero matrix.
 */
export function projectToEssential(M: ArrayLike<number>): Float64Array | null {
  const { U, S, V } = svd3(M);
  if (!(S[0] > 0) || !Number.isFinite(S[0])) return null;
  const E = new Float64Array(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) E[r * 3 + c] = U[r * 3] * V[c * 3] + U[r * 3 + 1] * V[c * 3 + 1];
  }
  return E;
}

/**
 * Squared Sampson distance of one correspondence to x2^T E x1 = 0, in squared normalized units
 * (multiply the square root by the focal for pixels): (x2^T E x1)^2 / (|(E x1)_12|^2 + |(E^T x2)_12|^2).
 * Source: Hartley & Zisserman, eq. (11.9).
 */
export function sampsonDistanceSq(E: ArrayLike<number>, ax: number, ay: number, bx: number, by: number): number {
  const e0 = E[0] * ax + E[1] * ay + E[2];
  const e1 = E[3] * ax + E[4] * ay + E[5];
  const e2 = E[6] * ax + E[7] * ay + E[8];
  const f0 = E[0] * bx + E[3] * by + E[6];
  const f1 = E[1] * bx + E[4] * by + E[7];
  const residual = bx * e0 + by * e1 + e2;
  const denominator = e0 * e0 + e1 * e1 + f0 * f0 + f1 * f1;
  return denominator > 0 ? (residual * residual) / denominator : Infinity;
}

/**
 * Levenberg-Marquardt refinement of an essential matrix on the Sampson residuals of the chosen
 * correspondences, in the 5-parameter form E = [t]x R (R <- exp([w]x) R, t kept unit length and
 * moved in its tangent plane); numeric Jacobian (5 columns). The 8-point estimate projected onto the
 * essential manifold is biased for narrow fields of view, and this restores the constraint-exact fit
 * (Hartley & Zisserman sec. 11.4.3, with the Sampson cost of sec. 11.4.3 instead of the gold standard).
 * @param x1 N*2 and x2 N*2 normalized coordinates; mask 1 for correspondences to use
 * @returns the refined E (row-major 3x3, singular values (1, 1, 0))
 */
export function refineEssential(E: ArrayLike<number>, x1: ArrayLike<number>, x2: ArrayLike<number>, mask: Uint8Array, iterations = 10): Float64Array {
  const used: number[] = [];
  for (let k = 0; k < mask.length; k++) if (mask[k]) used.push(k);
  const first = decomposeEssential(E)[0];
  let R = first.R;
  let t: number[] = normalize3(first.t);
  const build = (Rm: ArrayLike<number>, tv: ArrayLike<number>): Float64Array => mul3(skew3(tv), Rm);
  const residuals = (Em: Float64Array): Float64Array => {
    const r = new Float64Array(used.length);
    used.forEach((k, q) => {
      const ax = x1[2 * k], ay = x1[2 * k + 1], bx = x2[2 * k], by = x2[2 * k + 1];
      const e0 = Em[0] * ax + Em[1] * ay + Em[2];
      const e1 = Em[3] * ax + Em[4] * ay + Em[5];
      const e2 = Em[6] * ax + Em[7] * ay + Em[8];
      const f0 = Em[0] * bx + Em[3] * by + Em[6];
      const f1 = Em[1] * bx + Em[4] * by + Em[7];
      r[q] = (bx * e0 + by * e1 + e2) / Math.sqrt(e0 * e0 + e1 * e1 + f0 * f0 + f1 * f1 + 1e-300);
    });
    return r;
  };
  const sumSq = (r: Float64Array): number => r.reduce((s, x) => s + x * x, 0);
  const step = (Rm: Float64Array, tv: number[], d: ArrayLike<number>): [Float64Array, number[]] => {
    const helper = Math.abs(tv[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const b1 = normalize3(cross3(tv, helper));
    const b2 = cross3(tv, b1);
    return [
      mul3(rotationFromAxisAngle([d[0], d[1], d[2]]), Rm),
      normalize3([tv[0] + d[3] * b1[0] + d[4] * b2[0], tv[1] + d[3] * b1[1] + d[4] * b2[1], tv[2] + d[3] * b1[2] + d[4] * b2[2]]),
    ];
  };
  if (used.length < 6) return build(R, t);
  let r = residuals(build(R, t));
  let cost = sumSq(r);
  let lambda = 1e-3;
  for (let it = 0; it < iterations; it++) {
    const m = used.length;
    const J = new Float64Array(m * 5);
    const h = 1e-7;
    for (let a = 0; a < 5; a++) {
      const d = [0, 0, 0, 0, 0];
      d[a] = h;
      const [Rp, tp] = step(R, t, d);
      const rp = residuals(build(Rp, tp));
      for (let q = 0; q < m; q++) J[q * 5 + a] = (rp[q] - r[q]) / h;
    }
    const H = new Float64Array(25);
    const g = new Float64Array(5);
    for (let q = 0; q < m; q++) {
      for (let a = 0; a < 5; a++) {
        g[a] -= J[q * 5 + a] * r[q];
        for (let b = 0; b < 5; b++) H[a * 5 + b] += J[q * 5 + a] * J[q * 5 + b];
      }
    }
    let improved = false;
    for (let attempt = 0; attempt < 6 && !improved; attempt++) {
      const Hd = Float64Array.from(H);
      for (let a = 0; a < 5; a++) Hd[a * 6] += lambda * H[a * 6] + 1e-15;
      const d = choleskySolve(Hd, g, 5);
      if (!d) {
        lambda *= 10;
        continue;
      }
      const [Rn, tn] = step(R, t, d);
      const rn = residuals(build(Rn, tn));
      const cn = sumSq(rn);
      if (cn < cost) {
        const converged = (cost - cn) < 1e-12 * cost;
        R = Rn;
        t = tn;
        r = rn;
        cost = cn;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (converged) it = iterations;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return build(R, t);
}

/** Options of essentialRansac. */
export interface EssentialRansacOptions {
  /** Inlier threshold on the Sampson distance, pixels (default 1.5). */
  thresholdPx?: number;
  /** Focal in pixels that converts the threshold to normalized units (use sqrt(f1 f2)). */
  focalPx: number;
  /** Most RANSAC hypotheses (default 2000); fewer when the adaptive stopping rule is met. */
  maxIterations?: number;
  /** Probability of having drawn one all-inlier sample before stopping (default 0.999). */
  confidence?: number;
  /** Seed of the sampler (default 1). */
  seed?: number;
}

/** Result of essentialRansac. */
export interface EssentialRansacResult {
  /** Best essential matrix, row-major 3x3. */
  E: Float64Array;
  /** Per correspondence, 1 when its Sampson distance is within the threshold. */
  inliers: Uint8Array;
  inlierCount: number;
  /** Hypotheses evaluated. */
  iterations: number;
}

/**
 * LO-RANSAC over 8-point hypotheses with MSAC scoring (Torr & Zisserman 2000), the adaptive
 * stopping rule N = log(1 - p) / log(1 - w^8), and refineEssential on the inliers of every new best
 * model and twice at the end.
 * @param x1 N*2 normalized coordinates in view 1; x2 likewise in view 2 (see the file comment)
 * @returns the best model, or null when fewer than 8 correspondences or no hypothesis was valid
 */
export function essentialRansac(x1: ArrayLike<number>, x2: ArrayLike<number>, opts: EssentialRansacOptions): EssentialRansacResult | null {
  const n = Math.min(x1.length, x2.length) / 2;
  if (n < 8) return null;
  const threshold = (opts.thresholdPx ?? 1.5) / opts.focalPx;
  const thresholdSq = threshold * threshold;
  const maxIterations = Math.max(1, Math.floor(opts.maxIterations ?? 2000));
  const confidence = opts.confidence ?? 0.999;
  const random = new Random(opts.seed ?? 1);
  const score = (E: Float64Array): number => {
    let cost = 0;
    for (let k = 0; k < n; k++) cost += Math.min(thresholdSq, sampsonDistanceSq(E, x1[2 * k], x1[2 * k + 1], x2[2 * k], x2[2 * k + 1]));
    return cost;
  };
  const inliersOf = (E: Float64Array): [Uint8Array, number] => {
    const inl = new Uint8Array(n);
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (sampsonDistanceSq(E, x1[2 * k], x1[2 * k + 1], x2[2 * k], x2[2 * k + 1]) <= thresholdSq) {
        inl[k] = 1;
        count++;
      }
    }
    return [inl, count];
  };
  let best: Float64Array | null = null;
  let bestCost = Infinity;
  let needed = maxIterations;
  let iterations = 0;
  const sample = new Uint32Array(8);
  for (; iterations < Math.min(needed, maxIterations); iterations++) {
    for (let s = 0; s < 8; s++) {
      let candidate: number;
      do candidate = random.int(n);
      while (sample.subarray(0, s).includes(candidate));
      sample[s] = candidate;
    }
    const E = essentialEightPoint(x1, x2, sample);
    if (!E) continue;
    let cost = score(E);
    if (cost < bestCost) {
      bestCost = cost;
      best = E;
      // local optimization (LO-RANSAC, Chum et al. 2003): refine on this model's inliers
      // (iterated: refit on the grown inlier set while it keeps improving)
      let [localInliers, localCount] = inliersOf(E);
      for (let round = 0; round < 4 && localCount >= 8; round++) {
        const refined = refineEssential(best, x1, x2, localInliers, 5);
        cost = score(refined);
        if (!(cost < bestCost)) break;
        bestCost = cost;
        best = refined;
        const [grown, grownCount] = inliersOf(best);
        if (grownCount <= localCount) break;
        [localInliers, localCount] = [grown, grownCount];
      }
      const [, count] = inliersOf(best);
      const w = count / n;
      const denominator = Math.log(1 - Math.pow(w, 8));
      needed = denominator < 0 ? Math.ceil(Math.log(1 - confidence) / denominator) : maxIterations;
    }
  }
  if (!best) return null;
  let [inliers, inlierCount] = inliersOf(best);
  // final local optimization on all inliers while the fit improves
  for (let round = 0; round < 2 && inlierCount >= 8; round++) {
    const refit = refineEssential(best, x1, x2, inliers);
    const cost = score(refit);
    if (!(cost < bestCost)) break;
    bestCost = cost;
    best = refit;
    [inliers, inlierCount] = inliersOf(best);
  }
  return { E: best, inliers, inlierCount, iterations };
}

/**
 * The four (R, t) factorizations of an essential matrix: R = U W V^T or U W^T V^T, t = +-u3
 * (|t| = 1), with U, V proper rotations. Source: Hartley & Zisserman, Result 9.19.
 * @param E row-major 3x3
 */
export function decomposeEssential(E: ArrayLike<number>): { R: Float64Array; t: Float64Array }[] {
  const { U, V } = svd3(E);
  const W = [0, -1, 0, 1, 0, 0, 0, 0, 1];
  const Wt = transpose3(W);
  const Vt = transpose3(V);
  const Ra = mul3(mul3(U, W), Vt);
  const Rb = mul3(mul3(U, Wt), Vt);
  const u3 = Float64Array.from([U[2], U[5], U[8]]);
  const minus = Float64Array.from([-U[2], -U[5], -U[8]]);
  return [
    { R: Ra, t: u3 },
    { R: Ra, t: minus },
    { R: Rb, t: u3 },
    { R: Rb, t: minus },
  ];
}

/** Result of recoverPose. */
export interface RecoveredPose {
  /** Camera-1-to-camera-2 rotation (row-major 3x3) and unit translation (x_cam2 = R x_cam1 + t). */
  R: Float64Array;
  t: Float64Array;
  /** Per correspondence, 1 for an essential inlier triangulated in front of both cameras. */
  inliers: Uint8Array;
  inlierCount: number;
  /** Median parallax angle of those points, degrees (near 0: the camera did not move). */
  medianParallaxDeg: number;
}

/**
 * Picks the factorization of E that puts most inlier points in front of both cameras
 * (cheirality by triangulated depth, Hartley & Zisserman sec. 9.6.3) and measures their parallax.
 * @param x1 N*2 normalized coordinates in view 1; x2 likewise in view 2
 * @param inliers per correspondence, 1 for the essential inliers to test
 */
export function recoverPose(E: ArrayLike<number>, x1: ArrayLike<number>, x2: ArrayLike<number>, inliers: Uint8Array): RecoveredPose {
  const n = inliers.length;
  const identity: PinholeCamera = { R: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), t: new Float64Array(3), focal: 1, cx: 0, cy: 0 };
  let best: RecoveredPose | null = null;
  for (const { R, t } of decomposeEssential(E)) {
    const second: PinholeCamera = { R, t, focal: 1, cx: 0, cy: 0 };
    const centers = [cameraCenter(identity), cameraCenter(second)];
    const good = new Uint8Array(n);
    const parallax: number[] = [];
    for (let k = 0; k < n; k++) {
      if (!inliers[k]) continue;
      const X = triangulateDLT([identity, second], [x1[2 * k], x1[2 * k + 1], x2[2 * k], x2[2 * k + 1]]);
      if (!X) continue;
      const z2 = R[6] * X[0] + R[7] * X[1] + R[8] * X[2] + t[2];
      if (X[2] > 0 && z2 > 0) {
        good[k] = 1;
        parallax.push(maxParallaxAngle(centers, X));
      }
    }
    if (!best || parallax.length > best.inlierCount) {
      parallax.sort((a, b) => a - b);
      const median = parallax.length ? parallax[Math.floor(parallax.length / 2)] : 0;
      best = { R, t, inliers: good, inlierCount: parallax.length, medianParallaxDeg: (median * 180) / Math.PI };
    }
  }
  return best!;
}
