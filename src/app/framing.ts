/**
 * Starting views of the studio's viewer: a camera rig is framed so that every camera centre is in
 * view, orbiting the point the cameras look at; a bare splat model is framed on its robust bounds.
 * World units are the scene's; vectors are [x, y, z].
 */
import type { GaussianCloud } from '../core/GaussianCloud';
import type { Scene } from '../core/Scene';

type Vec3 = [number, number, number];

/** A starting view: where to put the orbit camera, what to orbit around, which way is up. */
export interface Framing {
  position: Vec3;
  target: Vec3;
  up: Vec3;
  /** Vertical field of view, degrees. */
  fovY: number;
  /** Typical viewing distance (world units), for frustum size and depth colormap range. */
  distance: number;
}

const add = (a: readonly number[], b: readonly number[], s = 1): Vec3 => [a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2]];
const sub = (a: readonly number[], b: readonly number[]): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: readonly number[], b: readonly number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: readonly number[]) => Math.hypot(a[0], a[1], a[2]);
const scale = (a: readonly number[], s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const mean = (vs: readonly (readonly number[])[]): Vec3 => scale(vs.reduce<Vec3>((s, v) => add(s, v), [0, 0, 0]), 1 / Math.max(1, vs.length));

/** Fraction of the half field of view the outermost camera centre may use (a margin at the edges). */
const FILL = 0.8;

/** Solves the symmetric 3x3 system A x = b (A row-major) by Cramer's rule; null when |det| is ~0. */
function solve3(A: number[], b: Vec3): Vec3 | null {
  const [a, bb, c, d, e, f, g, h, i] = A;
  const det = a * (e * i - f * h) - bb * (d * i - f * g) + c * (d * h - e * g);
  const scaleA = Math.max(...A.map(Math.abs)) ** 3;
  if (!(Math.abs(det) > 1e-9 * scaleA)) return null;
  const col = (k: number, v: Vec3) => A.map((x, j) => (j % 3 === k ? v[Math.floor(j / 3)] : x));
  const det3 = (m: number[]) => m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
  return [det3(col(0, b)) / det, det3(col(1, b)) / det, det3(col(2, b)) / det];
}

/**
 * The point closest to all principal rays (camera centre c_i, unit forward d_i) in the least-squares
 * sense: argmin_x sum_i |(I - d_i d_i^T)(x - c_i)|^2, i.e. (sum P_i) x = sum P_i c_i with P_i the
 * projector orthogonal to d_i. Returns null when the rays are (nearly) parallel, as in a
 * forward-facing capture, or when the point is not in front of the cameras on average.
 */
export function principalRayFocus(centers: readonly Vec3[], forwards: readonly Vec3[]): Vec3 | null {
  if (centers.length < 2) return null;
  const A = new Array<number>(9).fill(0);
  const b: Vec3 = [0, 0, 0];
  for (let k = 0; k < centers.length; k++) {
    const d = scale(forwards[k], 1 / (norm(forwards[k]) || 1));
    const c = centers[k];
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < 3; s++) {
        const p = (r === s ? 1 : 0) - d[r] * d[s];
        A[r * 3 + s] += p;
        b[r] += p * c[s];
      }
    }
  }
  // Parallel rays make A rank 2: its smallest eigenvalue ~0. Require a real crossing angle.
  const x = solve3(A, b);
  if (!x) return null;
  const n = centers.length;
  const minEig = smallestEigenvalueSym3(A) / n;
  if (minEig < 0.02) return null; // < ~8 degrees of spread between the viewing directions
  let ahead = 0;
  for (let k = 0; k < n; k++) ahead += dot(sub(x, centers[k]), forwards[k]) > 0 ? 1 : 0;
  return ahead * 2 > n ? x : null;
}

/** Smallest eigenvalue of a symmetric 3x3 matrix (row-major), closed form (trigonometric). */
function smallestEigenvalueSym3(A: number[]): number {
  const [a, b, c, , d, e, , , f] = A;
  const p1 = b * b + c * c + e * e;
  const q = (a + d + f) / 3;
  const p2 = (a - q) ** 2 + (d - q) ** 2 + (f - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  if (p < 1e-12) return q;
  const B = [a - q, b, c, b, d - q, e, c, e, f - q].map((v) => v / p);
  const detB = B[0] * (B[4] * B[8] - B[5] * B[7]) - B[1] * (B[3] * B[8] - B[5] * B[6]) + B[2] * (B[3] * B[7] - B[4] * B[6]);
  const r = Math.min(1, Math.max(-1, detB / 2));
  const phi = Math.acos(r) / 3;
  return q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
}

/** Per-axis median of xyz (flat, 3 per point), sampling at most ~20k points. */
function medianPoint(xyz: Float32Array): Vec3 {
  const n = Math.floor(xyz.length / 3);
  const stride = Math.max(1, Math.floor(n / 20000));
  const axes: number[][] = [[], [], []];
  for (let i = 0; i < n; i += stride) for (let k = 0; k < 3; k++) if (Number.isFinite(xyz[i * 3 + k])) axes[k].push(xyz[i * 3 + k]);
  return axes.map((a) => (a.sort((x, y) => x - y), a.length ? a[a.length >> 1] : 0)) as Vec3;
}

/**
 * Framing of a camera rig: orbit around the point the cameras look at (the sparse points' median
 * when the scene has points, else the least-squares intersection of the principal rays, else, for
 * near-parallel rays, the rig centre pushed forward by the typical scene depth), seen from the
 * side the cameras are on, far enough back that every camera centre lies inside the view.
 * Up is the cameras' mean -y (OpenCV cameras).
 * @param view the camera whose field of view and depth bounds are used (default 0)
 */
export function frameScene(scene: Scene, view = 0): Framing {
  const cams = scene.cameras;
  const cam = cams[Math.min(Math.max(0, view), cams.length - 1)];
  const centers = cams.map((c) => c.center);
  const forwards = cams.map((c) => c.forward);
  const rigCentre = mean(centers);
  const meanForward = mean(forwards);
  const upSum: Vec3 = [0, 0, 0];
  for (const c of cams) for (let k = 0; k < 3; k++) upSum[k] -= c.R[3 + k];
  const up = scale(upSum, 1 / (norm(upSum) || 1));
  let spread = 0;
  for (const c of centers) spread = Math.max(spread, norm(sub(c, rigCentre)));

  let target: Vec3 | null = null;
  if (scene.points && scene.points.xyz.length >= 3 * 8) target = medianPoint(scene.points.xyz);
  target ??= principalRayFocus(centers, forwards);
  if (!target) {
    const bounds = scene.depthBounds?.[view];
    const depth = bounds ? Math.sqrt(bounds[0] * bounds[1]) : Math.max(spread, 1e-3) * 3;
    target = add(rigCentre, scale(meanForward, 1 / (norm(meanForward) || 1)), depth);
  }

  // Look from where the cameras are; for a rig that surrounds the target, from the first camera's side.
  const offsets = centers.map((c) => sub(c, target));
  const meanDistance = offsets.reduce((s, o) => s + norm(o), 0) / Math.max(1, offsets.length);
  let dir = mean(offsets);
  if (norm(dir) < 0.3 * meanDistance) dir = add(sub(cam.center, target), up, 0.3 * norm(sub(cam.center, target)));
  dir = scale(dir, 1 / (norm(dir) || 1));
  // Straight down the up axis (a dome of cameras) leaves lookAt without a horizon: tilt to 45 degrees.
  const along = dot(dir, up);
  if (Math.abs(along) > 0.85) {
    let h = add(sub(cam.center, target), up, -dot(sub(cam.center, target), up));
    if (norm(h) < 1e-9) h = Math.abs(up[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    h = add(h, up, -dot(h, up));
    dir = add(scale(h, 1 / norm(h)), up, Math.sign(along));
    dir = scale(dir, 1 / norm(dir));
  }

  const fovY = Math.min(75, Math.max(30, (2 * Math.atan(cam.height / 2 / cam.fy) * 180) / Math.PI));
  const tanHalf = Math.tan(((fovY / 2) * Math.PI) / 180) * FILL;
  // Eye at target + D dir: centre c (along-axis a, lateral r) is inside when r / (D - a) <= tanHalf.
  let D = meanDistance * 1.2;
  for (const o of offsets) {
    const a = dot(o, dir);
    const r = norm(add(o, dir, -a));
    D = Math.max(D, a + r / tanHalf, a + 0.05 * meanDistance);
  }
  return { position: add(target, dir, D), target, up, fovY, distance: Math.max(meanDistance, 1e-3) };
}

/** Framing of a bare splat model: orbit its robust centre (5-95% bounds) from -z, with -y up (INRIA/COLMAP worlds). */
export function frameCloud(cloud: GaussianCloud): Framing {
  const n = cloud.count;
  const stride = Math.max(1, Math.floor(n / 20000));
  const axes: number[][] = [[], [], []];
  for (let i = 0; i < n; i += stride) for (let k = 0; k < 3; k++) axes[k].push(cloud.means[i * 3 + k]);
  const q = (a: number[], p: number) => (a.length ? a.sort((x, y) => x - y)[Math.floor(p * (a.length - 1))] : 0);
  const lo = axes.map((a) => q(a, 0.05));
  const hi = axes.map((a) => q(a, 0.95));
  const centre: Vec3 = [0, 1, 2].map((k) => (lo[k] + hi[k]) / 2) as Vec3;
  const radius = Math.max(1e-3, Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2);
  const distance = radius * 2.2;
  return { position: add(centre, [0, 0, -1], distance), target: centre, up: [0, -1, 0], fovY: 50, distance };
}
