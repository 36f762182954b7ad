import { mulberry32 } from '../core/random';
/**
 * Seeded random Gaussian scenes and cameras for the rasterizer tests and benchmark.
 * Scenes are generated in camera space and mapped to world space by the camera pose.
 */
import { Camera } from '../core/Camera';
import { createGaussianCloud, shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';


function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** A camera of `width` x `height` pixels (about 60 degrees horizontal FOV) at a random pose. */
export function randomCamera(r: () => number, width: number, height: number): Camera {
  // Random rotation from a random unit quaternion, random centre.
  let q = [gauss(r), gauss(r), gauss(r), gauss(r)];
  const n = Math.hypot(...q);
  q = q.map((v) => v / n);
  const [w, x, y, z] = q;
  const Rc = [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
  const C = [gauss(r), gauss(r), gauss(r)];
  const c2w = [Rc[0], Rc[1], Rc[2], C[0], Rc[3], Rc[4], Rc[5], C[1], Rc[6], Rc[7], Rc[8], C[2], 0, 0, 0, 1];
  const f = width * (0.8 + 0.2 * r());
  return Camera.fromC2W(c2w, f, f * (0.95 + 0.1 * r()), width * (0.45 + 0.1 * r()), height * (0.45 + 0.1 * r()), width, height);
}

/** Options of randomScene. */
export interface RandomSceneOptions {
  count: number;
  shDegree: number;
  /** Include hard cases: behind the camera, tiny / huge scales, near-transparent, off-screen. Default true. */
  hard?: boolean;
  /** Camera-space depth range of the bulk of the Gaussians. Default [1, 6]. */
  depth?: [number, number];
  /** Typical scale (world units). Default 0.04. */
  scale?: number;
}

/**
 * Random Gaussians around the view of `camera`: means in camera space (x/z, y/z within 1.3x the
 * field of view), log-scales around log(scale), random rotations, logit opacities in [-4, 5],
 * SH coefficients (DC ~ N(0, 0.6), higher bands ~ N(0, 0.25)).
 */
export function randomScene(r: () => number, camera: Camera, o: RandomSceneOptions): GaussianCloud {
  const cloud = createGaussianCloud(o.count, o.shDegree);
  const hard = o.hard ?? true;
  const [z0, z1] = o.depth ?? [1, 6];
  const scale = o.scale ?? 0.04;
  const R = camera.R, t = camera.t;
  const K = shCoeffCount(o.shDegree);
  const tanX = (0.5 * camera.width) / camera.fx, tanY = (0.5 * camera.height) / camera.fy;
  for (let i = 0; i < o.count; i++) {
    const kind = hard ? r() : 1;
    let z = z0 + (z1 - z0) * r();
    let ls = Math.log(scale) + 0.5 * gauss(r);
    let lo = -4 + 9 * r();
    let spread = 1.3;
    if (kind < 0.05) z = -1 + 1.2 * r(); // behind the camera or at the near plane
    else if (kind < 0.1) ls = Math.log(1e-4) + gauss(r); // tiny
    else if (kind < 0.11) {
      ls = Math.log(1.5) + 0.5 * r(); // huge, mostly transparent
      lo = -4 + 3 * r();
    }
    else if (kind < 0.2) lo = -5.6 + 0.3 * r(); // near-transparent (opacity ~ 1/255)
    else if (kind < 0.26) spread = 2.5; // off-screen / straddling the border
    const xc = (2 * r() - 1) * spread * tanX * z;
    const yc = (2 * r() - 1) * spread * tanY * z;
    const zc = z;
    // world = R^T (x_cam - t)
    const d = [xc - t[0], yc - t[1], zc - t[2]];
    for (let k = 0; k < 3; k++) cloud.means[i * 3 + k] = R[k] * d[0] + R[3 + k] * d[1] + R[6 + k] * d[2];
    for (let k = 0; k < 3; k++) cloud.logScales[i * 3 + k] = ls + 0.4 * gauss(r);
    for (let k = 0; k < 4; k++) cloud.quats[i * 4 + k] = gauss(r);
    cloud.logitOpacities[i] = lo;
    for (let k = 0; k < K; k++) {
      for (let ch = 0; ch < 3; ch++) cloud.sh[(i * K + k) * 3 + ch] = (k === 0 ? 0.6 : 0.25) * gauss(r);
    }
  }
  return cloud;
}

export { mulberry32 };
