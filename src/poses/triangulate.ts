import { nullVector } from './linalg';
import { cameraCenter, projectPoint, type PinholeCamera } from './projection';

/**
 * Linear (DLT) triangulation of one point seen by N >= 2 cameras. Each observation (u, v) in
 * pixels gives two rows x_n P_3 - P_1, y_n P_3 - P_2 with P = [R | t] and normalized coordinates
 * x_n = (u - cx) / f (better conditioned than pixel rows); the point is the null vector of the
 * 2N x 4 system. Source: Hartley & Zisserman, "Multiple View Geometry", 2nd ed., sec. 12.2.
 * @param cameras N cameras
 * @param xy N*2 pixel coordinates, xy[2k], xy[2k+1] seen by cameras[k]
 * @returns the world point (3 values), or null for a point at infinity (homogeneous w ~ 0)
 * @throws Error when fewer than 2 cameras are given or xy has the wrong length
 */
export function triangulateDLT(cameras: PinholeCamera[], xy: ArrayLike<number>): Float64Array | null {
  const n = cameras.length;
  if (n < 2) throw new Error(`triangulateDLT: need at least 2 views, got ${n}`);
  if (xy.length !== 2 * n) throw new Error(`triangulateDLT: xy must have ${2 * n} values (2 per view), got ${xy.length}`);
  const A = new Float64Array(2 * n * 4);
  for (let k = 0; k < n; k++) {
    const { R, t, focal, cx, cy } = cameras[k];
    const xn = (xy[2 * k] - cx) / focal;
    const yn = (xy[2 * k + 1] - cy) / focal;
    for (let c = 0; c < 4; c++) {
      const p0 = c < 3 ? R[c] : t[0];
      const p1 = c < 3 ? R[3 + c] : t[1];
      const p2 = c < 3 ? R[6 + c] : t[2];
      A[(2 * k) * 4 + c] = xn * p2 - p0;
      A[(2 * k + 1) * 4 + c] = yn * p2 - p1;
    }
  }
  const h = nullVector(A, 2 * n, 4);
  const scale = Math.hypot(h[0], h[1], h[2]);
  if (!(Math.abs(h[3]) > 1e-12 * scale)) return null;
  return Float64Array.from([h[0] / h[3], h[1] / h[3], h[2] / h[3]]);
}

/**
 * Largest angle (radians) between the viewing rays from the camera centres to X: the parallax
 * that makes depth observable (tiny angle = depth undetermined).
 * @param centers camera centres in world coordinates
 * @param X world point (3 values)
 */
export function maxParallaxAngle(centers: ArrayLike<number>[], X: ArrayLike<number>): number {
  const rays = centers.map((c) => {
    const d = [X[0] - c[0], X[1] - c[1], X[2] - c[2]];
    const n = Math.hypot(d[0], d[1], d[2]) || 1;
    return [d[0] / n, d[1] / n, d[2] / n];
  });
  let best = 0;
  for (let a = 0; a < rays.length; a++) {
    for (let b = a + 1; b < rays.length; b++) {
      const c = rays[a][0] * rays[b][0] + rays[a][1] * rays[b][1] + rays[a][2] * rays[b][2];
      best = Math.max(best, Math.acos(Math.min(1, Math.max(-1, c))));
    }
  }
  return best;
}

/** Thresholds of triangulateChecked. */
export interface TriangulationChecks {
  /** Largest accepted reprojection error in any view, pixels (default 4). */
  maxReprojectionPx?: number;
  /** Smallest accepted parallax angle between any two rays, degrees (default 1). */
  minParallaxDeg?: number;
}

/** A triangulated point that passed the checks, or why it did not. */
export type TriangulationResult =
  | { ok: true; X: Float64Array; maxErrorPx: number; parallaxDeg: number }
  | { ok: false; reason: 'infinity' | 'behind-camera' | 'reprojection' | 'parallax' };

/**
 * DLT triangulation (triangulateDLT) followed by the checks of incremental SfM (COLMAP's
 * triangulation checks, Schoenberger & Frahm CVPR 2016): positive depth in every view, every
 * reprojection error <= maxReprojectionPx, and parallax >= minParallaxDeg.
 * @param cameras N >= 2 cameras; xy N*2 pixel coordinates as in triangulateDLT
 * @throws Error as triangulateDLT
 */
export function triangulateChecked(
  cameras: PinholeCamera[],
  xy: ArrayLike<number>,
  checks: TriangulationChecks = {},
): TriangulationResult {
  const maxErr = checks.maxReprojectionPx ?? 4;
  const minParallax = ((checks.minParallaxDeg ?? 1) * Math.PI) / 180;
  const X = triangulateDLT(cameras, xy);
  if (!X) return { ok: false, reason: 'infinity' };
  let worst = 0;
  for (let k = 0; k < cameras.length; k++) {
    const { R, t, focal, cx, cy } = cameras[k];
    const p = projectPoint(R, t, focal, cx, cy, X);
    if (!(p.z > 0)) return { ok: false, reason: 'behind-camera' };
    worst = Math.max(worst, Math.hypot(p.u - xy[2 * k], p.v - xy[2 * k + 1]));
  }
  if (!(worst <= maxErr)) return { ok: false, reason: 'reprojection' };
  const parallax = maxParallaxAngle(cameras.map(cameraCenter), X);
  if (!(parallax >= minParallax)) return { ok: false, reason: 'parallax' };
  return { ok: true, X, maxErrorPx: worst, parallaxDeg: (parallax * 180) / Math.PI };
}
