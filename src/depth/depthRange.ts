import type { Camera } from '../core/Camera';
import type { Scene } from '../core/Scene';

/**
 * Depth range (camera z, world units) a plane sweep of view `ref` should cover.
 * Uses `scene.depthBounds[ref]` when present; otherwise the frusta overlap: depths (log-spaced,
 * 1e-3..1e4 times the median baseline) at which at least 20% of a 7x5 grid of the reference's
 * pixel rays project in front of, and inside, at least one of the `others`.
 * @returns [near, far] with 0 < near < far (far may be large for parallel forward-facing rigs)
 * @throws Error when `others` is empty or no depth is seen by another view (no overlap)
 */
export function sweepDepthRange(scene: Scene, ref: number, others: number[]): [number, number] {
  const b = scene.depthBounds?.[ref];
  if (b && b[0] > 0 && b[1] > b[0] && Number.isFinite(b[1])) return [b[0], b[1]];
  return frustaOverlapRange(scene.cameras[ref], others.map((o) => scene.cameras[o]));
}

/** See sweepDepthRange: the frusta-overlap estimate for a camera and its neighbours. */
export function frustaOverlapRange(ref: Camera, others: Camera[]): [number, number] {
  if (others.length === 0) throw new Error('frustaOverlapRange: need at least one other camera');
  const c = ref.center;
  const baselines = others.map((o) => Math.hypot(o.center[0] - c[0], o.center[1] - c[1], o.center[2] - c[2])).sort((p, q) => p - q);
  const base = Math.max(baselines[baselines.length >> 1], 1e-6);
  const steps = 240;
  let near = 0;
  let far = 0;
  for (let s = 0; s <= steps; s++) {
    const z = base * 1e-3 * Math.pow(1e7, s / steps);
    let hit = 0;
    let total = 0;
    for (let gy = 0; gy < 5; gy++) {
      for (let gx = 0; gx < 7; gx++) {
        total++;
        const u = ((gx + 0.5) / 7) * ref.width;
        const v = ((gy + 0.5) / 5) * ref.height;
        const X = lift(ref, u, v, z);
        if (others.some((o) => inside(o, X))) hit++;
      }
    }
    if (hit >= 0.2 * total) {
      if (!near) near = z;
      far = z;
    }
  }
  if (!near) throw new Error(`frustaOverlapRange: camera "${ref.name}" shares no field of view with the other cameras`);
  return [near, Math.max(far, near * 1.5)];
}

/** World point at camera-z depth `z` on the ray through pixel position (u, v) (pixel units, centre at +0.5). */
export function lift(cam: Camera, u: number, v: number, z: number): [number, number, number] {
  const x = ((u - cam.cx) / cam.fx) * z - cam.t[0];
  const y = ((v - cam.cy) / cam.fy) * z - cam.t[1];
  const w = z - cam.t[2];
  const R = cam.R;
  return [R[0] * x + R[3] * y + R[6] * w, R[1] * x + R[4] * y + R[7] * w, R[2] * x + R[5] * y + R[8] * w];
}

/** Projects a world point: [u, v, z] (pixel position with centres at +0.5, camera z). */
export function project(cam: Camera, X: ArrayLike<number>): [number, number, number] {
  const R = cam.R;
  const x = R[0] * X[0] + R[1] * X[1] + R[2] * X[2] + cam.t[0];
  const y = R[3] * X[0] + R[4] * X[1] + R[5] * X[2] + cam.t[1];
  const z = R[6] * X[0] + R[7] * X[1] + R[8] * X[2] + cam.t[2];
  return [(cam.fx * x) / z + cam.cx, (cam.fy * y) / z + cam.cy, z];
}

function inside(cam: Camera, X: [number, number, number]): boolean {
  const [u, v, z] = project(cam, X);
  return z > 0 && u >= 0 && v >= 0 && u <= cam.width && v <= cam.height;
}

/**
 * Per-camera near/far depth bounds from the sparse points, as LLFF's imgs2poses computes its
 * poses_bounds (Mildenhall et al. 2019, LLFF code, pose_utils.py): the 0.1 and 99.9 percentiles of
 * the camera-z depths of the points in front of the camera that project inside the image.
 * @param xyz N*3 world points; cameras OpenCV world-to-camera
 * @returns per camera [near, far] in world units, or null for a camera that sees fewer than 10 points
 */
export function depthBoundsFromPoints(cameras: Camera[], xyz: ArrayLike<number>): ([number, number] | null)[] {
  return cameras.map((c) => {
    const z: number[] = [];
    for (let k = 0; k + 2 < xyz.length; k += 3) {
      const [u, v, zc] = project(c, [xyz[k], xyz[k + 1], xyz[k + 2]]);
      if (zc > 0 && u >= 0 && u < c.width && v >= 0 && v < c.height) z.push(zc);
    }
    if (z.length < 10) return null;
    z.sort((a, b) => a - b);
    // numpy's percentile (linear interpolation between closest ranks)
    const pct = (p: number): number => {
      const x = (p / 100) * (z.length - 1);
      const i = Math.floor(x);
      return i + 1 < z.length ? z[i] + (x - i) * (z[i + 1] - z[i]) : z[i];
    };
    return [pct(0.1), pct(99.9)];
  });
}
