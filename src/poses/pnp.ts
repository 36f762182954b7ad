import { Random } from '../core/random';
import { choleskySolve, det3, mul3, nullVector, svd3 } from './linalg';
import { projectPoint, projectWithJacobian } from './projection';
import { nearestRotation, rotationFromAxisAngle } from './rotation';

/*
 * Camera pose from 2D-3D matches with known intrinsics (focal f, principal point cx, cy in pixels;
 * OpenCV world-to-camera R, t). Minimal solver: the calibrated linear DLT on >= 6 points
 * (Hartley & Zisserman sec. 7.1, then the nearest rotation of the left 3x3 block), not P3P/EPnP;
 * inside RANSAC, then Levenberg-Marquardt on the reprojection error with Huber weights.
 */

/** A camera pose: world-to-camera R (row-major 3x3) and t (3). */
export interface Pose {
  R: Float64Array;
  t: Float64Array;
}

/**
 * Calibrated DLT pose from >= 6 correspondences (non-coplanar points).
 * @param points N*3 world coordinates
 * @param xy N*2 pixel coordinates of the same points
 * @param focal focal in pixels; cx, cy principal point in pixels
 * @param subset optional indices to use (all when omitted)
 * @returns the pose, or null when the configuration is degenerate
 * @throws Error when fewer than 6 correspondences are given
 */
export function pnpDLT(
  points: ArrayLike<number>,
  xy: ArrayLike<number>,
  focal: number,
  cx: number,
  cy: number,
  subset?: ArrayLike<number>,
): Pose | null {
  const n = subset ? subset.length : xy.length / 2;
  if (n < 6) throw new Error(`pnpDLT: need at least 6 correspondences, got ${n}`);
  const index = (k: number): number => (subset ? subset[k] : k);
  // normalize the 3D points (centroid, mean distance sqrt(3)) for conditioning
  const c = [0, 0, 0];
  for (let k = 0; k < n; k++) for (let d = 0; d < 3; d++) c[d] += points[3 * index(k) + d] / n;
  let spread = 0;
  for (let k = 0; k < n; k++) {
    const i = index(k);
    spread += Math.hypot(points[3 * i] - c[0], points[3 * i + 1] - c[1], points[3 * i + 2] - c[2]) / n;
  }
  if (!(spread > 0)) return null;
  const s = Math.sqrt(3) / spread;
  const A = new Float64Array(2 * n * 12);
  for (let k = 0; k < n; k++) {
    const i = index(k);
    const X = [(points[3 * i] - c[0]) * s, (points[3 * i + 1] - c[1]) * s, (points[3 * i + 2] - c[2]) * s, 1];
    const u = (xy[2 * i] - cx) / focal;
    const v = (xy[2 * i + 1] - cy) / focal;
    for (let d = 0; d < 4; d++) {
      A[(2 * k) * 12 + d] = X[d];
      A[(2 * k) * 12 + 8 + d] = -u * X[d];
      A[(2 * k + 1) * 12 + 4 + d] = X[d];
      A[(2 * k + 1) * 12 + 8 + d] = -v * X[d];
    }
  }
  const p = nullVector(A, 2 * n, 12);
  // P' acts on normalized points: P = P' T with T = [sI, -s c; 0, 1]
  const M = Float64Array.from([p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]]).map((x) => x * s);
  let p4 = [0, 1, 2].map((r) => p[r * 4 + 3] - s * (p[r * 4] * c[0] + p[r * 4 + 1] * c[1] + p[r * 4 + 2] * c[2]));
  let Ms = M;
  if (det3(M) < 0) {
    Ms = M.map((x) => -x);
    p4 = p4.map((x) => -x);
  }
  const { S } = svd3(Ms);
  const scale = (Math.abs(S[0]) + Math.abs(S[1]) + Math.abs(S[2])) / 3;
  if (!(scale > 0)) return null;
  const R = nearestRotation(Ms);
  const t = Float64Array.from(p4.map((x) => x / scale));
  return { R, t };
}

/** Options of pnpRansac and refinePose. */
export interface PnpOptions {
  /** Inlier threshold on the reprojection error, pixels (default 4). */
  thresholdPx?: number;
  /** Most RANSAC hypotheses (default 500); fewer when the adaptive stopping rule is met. */
  maxIterations?: number;
  /** Seed of the sampler (default 1). */
  seed?: number;
}

/** Result of pnpRansac. */
export interface PnpResult extends Pose {
  /** Per correspondence, 1 when it reprojects within the threshold in front of the camera. */
  inliers: Uint8Array;
  inlierCount: number;
  /** RMS reprojection error of the inliers after refinement, pixels. */
  rmsPx: number;
}

/** Reprojection error (pixels) of correspondence k, Infinity when behind the camera. */
function reprojectionError(pose: Pose, points: ArrayLike<number>, xy: ArrayLike<number>, k: number, f: number, cx: number, cy: number): number {
  const q = projectPoint(pose.R, pose.t, f, cx, cy, [points[3 * k], points[3 * k + 1], points[3 * k + 2]]);
  return q.z > 0 ? Math.hypot(q.u - xy[2 * k], q.v - xy[2 * k + 1]) : Infinity;
}

/**
 * Levenberg-Marquardt refinement of a pose on the reprojection error (pixels) with Huber weights
 * (IRLS, delta = huberPx), on the chosen correspondences; the rotation is updated by left
 * increments R <- exp([w]x) R. At most `iterations` steps.
 * @param points N*3 world coordinates; xy N*2 pixels; mask 1 for correspondences to use
 */
export function refinePose(
  pose: Pose,
  points: ArrayLike<number>,
  xy: ArrayLike<number>,
  mask: Uint8Array,
  focal: number,
  cx: number,
  cy: number,
  huberPx = 2,
  iterations = 20,
): Pose {
  const n = mask.length;
  const robustCost = (p: Pose): number => {
    let cost = 0;
    for (let k = 0; k < n; k++) {
      if (!mask[k]) continue;
      const e = reprojectionError(p, points, xy, k, focal, cx, cy);
      cost += e === Infinity ? 1e12 : e <= huberPx ? e * e : 2 * huberPx * e - huberPx * huberPx;
    }
    return cost;
  };
  let current: Pose = { R: Float64Array.from(pose.R), t: Float64Array.from(pose.t) };
  let cost = robustCost(current);
  let lambda = 1e-3;
  for (let it = 0; it < iterations; it++) {
    const H = new Float64Array(36);
    const g = new Float64Array(6);
    for (let k = 0; k < n; k++) {
      if (!mask[k]) continue;
      const j = projectWithJacobian(current.R, current.t, focal, cx, cy, [points[3 * k], points[3 * k + 1], points[3 * k + 2]]);
      if (!(j.z > 0)) continue;
      const r = [j.u - xy[2 * k], j.v - xy[2 * k + 1]];
      const e = Math.hypot(r[0], r[1]);
      const w = e <= huberPx ? 1 : huberPx / e;
      for (let row = 0; row < 2; row++) {
        const J = [...j.dRotation.subarray(3 * row, 3 * row + 3), ...j.dTranslation.subarray(3 * row, 3 * row + 3)];
        for (let a = 0; a < 6; a++) {
          g[a] += w * J[a] * r[row];
          for (let b = 0; b < 6; b++) H[a * 6 + b] += w * J[a] * J[b];
        }
      }
    }
    let improved = false;
    for (let attempt = 0; attempt < 8 && !improved; attempt++) {
      const Hd = Float64Array.from(H);
      for (let a = 0; a < 6; a++) Hd[a * 6 + a] += lambda * (H[a * 6 + a] + 1e-9);
      const delta = choleskySolve(Hd, g.map((x) => -x), 6);
      if (!delta) {
        lambda *= 10;
        continue;
      }
      const candidate = {
        R: mul3(rotationFromAxisAngle(delta.subarray(0, 3)), current.R),
        t: Float64Array.from([current.t[0] + delta[3], current.t[1] + delta[4], current.t[2] + delta[5]]),
      };
      const candidateCost = robustCost(candidate);
      if (candidateCost < cost) {
        const relative = (cost - candidateCost) / Math.max(cost, 1e-300);
        current = candidate;
        cost = candidateCost;
        lambda = Math.max(lambda / 10, 1e-9);
        improved = true;
        if (relative < 1e-10) return current;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  return current;
}

/**
 * PnP RANSAC: 6-point calibrated DLT hypotheses scored by inlier count (reprojection error within
 * thresholdPx, positive depth), adaptive stopping, then refinePose on the inliers and a final
 * inlier re-count.
 * @param points N*3 world coordinates; xy N*2 pixel coordinates; focal, cx, cy in pixels
 * @returns the best pose, or null when fewer than 6 correspondences or no valid hypothesis
 */
export function pnpRansac(
  points: ArrayLike<number>,
  xy: ArrayLike<number>,
  focal: number,
  cx: number,
  cy: number,
  opts: PnpOptions = {},
): PnpResult | null {
  const n = Math.min(points.length / 3, xy.length / 2);
  if (n < 6) return null;
  const threshold = opts.thresholdPx ?? 4;
  const maxIterations = Math.max(1, Math.floor(opts.maxIterations ?? 500));
  const random = new Random(opts.seed ?? 1);
  const countInliers = (pose: Pose): [Uint8Array, number] => {
    const mask = new Uint8Array(n);
    let count = 0;
    for (let k = 0; k < n; k++) {
      if (reprojectionError(pose, points, xy, k, focal, cx, cy) <= threshold) {
        mask[k] = 1;
        count++;
      }
    }
    return [mask, count];
  };
  let best: Pose | null = null;
  let bestCount = -1;
  let needed = maxIterations;
  const sample = new Uint32Array(6);
  for (let it = 0; it < Math.min(needed, maxIterations); it++) {
    for (let s = 0; s < 6; s++) {
      let candidate: number;
      do candidate = random.int(n);
      while (sample.subarray(0, s).includes(candidate));
      sample[s] = candidate;
    }
    const pose = pnpDLT(points, xy, focal, cx, cy, sample);
    if (!pose) continue;
    const [, count] = countInliers(pose);
    if (count > bestCount) {
      best = pose;
      bestCount = count;
      const denominator = Math.log(1 - Math.pow(count / n, 6));
      needed = denominator < 0 ? Math.ceil(Math.log(1 - 0.999) / denominator) : maxIterations;
    }
  }
  if (!best || bestCount < 6) return null;
  let [mask, count] = countInliers(best);
  for (let round = 0; round < 2; round++) {
    best = refinePose(best, points, xy, mask, focal, cx, cy, threshold / 2);
    [mask, count] = countInliers(best);
  }
  let sq = 0;
  for (let k = 0; k < n; k++) if (mask[k]) sq += reprojectionError(best, points, xy, k, focal, cx, cy) ** 2;
  return { ...best, inliers: mask, inlierCount: count, rmsPx: count ? Math.sqrt(sq / count) : Infinity };
}
