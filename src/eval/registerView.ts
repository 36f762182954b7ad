import { Camera } from '../core/Camera';
import type { ImageRGB } from '../core/Image';
import { choleskySolve, mulVec3, mul3 } from '../poses/linalg';
import { rotationFromAxisAngle } from '../poses/rotation';

/**
 * Photometric registration of a held-out view to a frozen model, as pose-free methods evaluate
 * (NoPe-NeRF, Bian et al. CVPR 2023, sec. 5; CF-3DGS, Fu et al. CVPR 2024, sec. 5: "we optimise the
 * camera poses of the test views with the model frozen" before scoring). The camera pose is refined
 * by Levenberg-Marquardt on the L2 photometric error between the render and the photo over the 6
 * pose parameters, coarse to fine over an image pyramid, with the Jacobian of the rendered image by
 * forward finite differences of renders (gradient-free: the renderer is a black box, 7 renders per
 * iteration).
 *
 * Pose parameters, about the current pose (R, t), world-to-camera: a rotation w (axis-angle, radians,
 * about the camera centre) and a translation v in the camera frame, in units of `depthScale`:
 *   x_cam = exp([w]x) (R X + t) + depthScale * v,  i.e.  R' = exp([w]x) R,  t' = exp([w]x) t + depthScale * v.
 * With depthScale the typical depth of the view's content, a unit of w and of v move the image by
 * about the same number of pixels (f w and f v).
 */

/** What registerView renders: an RGB image of the model seen by `camera` (sRGB-encoded [0,1], W*H*3), and optionally its depth (camera z, H*W, 0 = empty). */
export type PoseRenderer = (camera: Camera) => Promise<{ image: ImageRGB; depth?: Float32Array }>;

/** Options of registerView. */
export interface RegisterViewOptions {
  /** Pyramid levels, coarse to fine, as integer box-filter factors (default [8, 4, 2, 1]). */
  levels?: number[];
  /** Most LM iterations per level, same length as levels (default [10, 10, 8, 5]). */
  iterations?: number[];
  /**
   * Typical depth of the view's content in world units (translation parameter unit). Default: the
   * median positive depth the renderer returns at the initial pose (an error when it returns none).
   */
  depthScale?: number;
  /** Finite-difference step in (low-resolution) pixels of image motion (default 0.5). */
  stepPx?: number;
  /** A level stops when an accepted step lowers the cost by less than this fraction (default 1e-4). */
  tolerance?: number;
}

/** What registerView did. */
export interface RegisterViewResult {
  /** The refined camera (same intrinsics and size as the initial one). */
  camera: Camera;
  /** Mean squared error (per channel value, full resolution) at the initial and the final pose. */
  initialMse: number;
  finalMse: number;
  /** Accepted LM steps over all levels, and renders made. */
  iterations: number;
  renders: number;
  /** Rotation (degrees) and camera-centre motion (world units) from the initial to the final pose. */
  rotationChangeDeg: number;
  centreChange: number;
  ms: number;
}

/**
 * Box-filter downsample of an RGB image by an integer factor k, cropping to floor(W/k)*k x
 * floor(H/k)*k first (so the low-resolution pixel (x, y) covers full-resolution pixels
 * [k x, k x + k) x [k y, k y + k)).
 * @throws Error when k is not a positive integer or leaves no pixel
 */
export function downsampleImage(img: ImageRGB, k: number): ImageRGB {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`downsampleImage: factor must be a positive integer (got ${k})`);
  if (k === 1) return img;
  const w = Math.floor(img.width / k);
  const h = Math.floor(img.height / k);
  if (w < 1 || h < 1) throw new Error(`downsampleImage: ${img.width}x${img.height} is smaller than the factor ${k}`);
  const data = new Float32Array(w * h * 3);
  const norm = 1 / (k * k);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let dy = 0; dy < k; dy++) {
        const row = ((y * k + dy) * img.width + x * k) * 3;
        for (let dx = 0; dx < k; dx++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] += img.data[row + dx * 3 + c] * norm;
      }
    }
  }
  return { width: w, height: h, data };
}

/** The pose moved by the parameters p = (w, v) (see the file comment). */
export function applyPoseIncrement(camera: Camera, p: ArrayLike<number>, depthScale: number): Camera {
  const E = rotationFromAxisAngle([p[0], p[1], p[2]]);
  const R = mul3(E, camera.R);
  const Et = mulVec3(E, camera.t);
  const t = [0, 1, 2].map((d) => Et[d] + depthScale * p[3 + d]);
  return new Camera(R, t, camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height, camera.name);
}

function sumSq(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

function median(values: Float32Array): number {
  const pos = Array.from(values).filter((z) => z > 0 && Number.isFinite(z)).sort((x, y) => x - y);
  return pos.length ? pos[pos.length >> 1] : NaN;
}

/**
 * Refines the pose of `initial` so the model's render matches `photo` (see the file comment):
 * per pyramid level, Levenberg-Marquardt (damping lambda diag(J^T J), steps accepted only when the
 * L2 cost drops) with J from forward differences of renders. The pyramid filters images, not cameras:
 * every render is at full resolution and box-filtered by the level's factor like the photo.
 * Intrinsics stay fixed. The final pose is kept only when its full-resolution MSE is below the
 * initial one (else the initial pose is returned).
 * @param render renders the frozen model (e.g. Trainer.render) at the size of `initial`
 * @param photo the held-out photo, sRGB-encoded [0,1], W*H*3, the size of `initial`
 * @param initial starting camera (e.g. the aligned ground-truth pose, or PnP)
 * @returns the refined camera and a report (MSE before/after at full resolution, steps, renders, motion, time)
 * @throws Error when the photo and the camera differ in size, levels/iterations disagree or are not
 *   positive integers, or no depth scale can be found (no depthScale and the render has no depth)
 */
export async function registerView(render: PoseRenderer, photo: ImageRGB, initial: Camera, opts: RegisterViewOptions = {}): Promise<RegisterViewResult> {
  const t0 = performance.now();
  if (photo.width !== initial.width || photo.height !== initial.height) {
    throw new Error(`registerView: the photo is ${photo.width}x${photo.height} but the camera ${initial.width}x${initial.height}`);
  }
  const levels = opts.levels ?? [8, 4, 2, 1];
  const iterations = opts.iterations ?? [10, 10, 8, 5];
  if (levels.length !== iterations.length || !levels.every((k) => Number.isInteger(k) && k >= 1) || !iterations.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new Error(`registerView: levels (${levels}) and iterations (${iterations}) must be positive integers of equal count`);
  }
  const stepPx = opts.stepPx ?? 0.5;
  const tolerance = opts.tolerance ?? 1e-4;
  let renders = 0;
  const draw = async (camera: Camera): Promise<{ image: ImageRGB; depth?: Float32Array }> => {
    renders++;
    return render(camera);
  };
  const first = await draw(initial);
  const initialMse = sumSq(first.image.data, photo.data) / photo.data.length;
  const depthScale = opts.depthScale ?? (first.depth ? median(first.depth) : NaN);
  if (!(depthScale > 0 && Number.isFinite(depthScale))) {
    throw new Error('registerView: no depth scale: pass opts.depthScale, or a renderer that returns depth with content in view');
  }
  let camera = initial;
  let accepted = 0;
  for (let li = 0; li < levels.length; li++) {
    const k = levels[li];
    const target = downsampleImage(photo, k);
    const n = target.data.length;
    // renders at full resolution, box-filtered like the photo (rendering at low resolution aliases small Gaussians)
    const drawLevel = async (c: Camera): Promise<Float32Array> => downsampleImage((await draw(c)).image, k).data;
    let cam = camera;
    let current = await drawLevel(cam);
    let cost = sumSq(current, target.data);
    let lambda = 1e-3;
    const h = (stepPx * k) / cam.fx; // radians and depth units that move the image by ~stepPx low-resolution pixels
    for (let it = 0; it < iterations[li]; it++) {
      // Jacobian columns by forward differences
      const J: Float32Array[] = [];
      for (let j = 0; j < 6; j++) {
        const p = new Float64Array(6);
        p[j] = h;
        const img = await drawLevel(applyPoseIncrement(cam, p, depthScale));
        const col = new Float32Array(n);
        for (let i = 0; i < n; i++) col[i] = (img[i] - current[i]) / h;
        J.push(col);
      }
      const JtJ = new Float64Array(36);
      const Jtr = new Float64Array(6);
      for (let a = 0; a < 6; a++) {
        for (let b = a; b < 6; b++) {
          let s = 0;
          const ca = J[a];
          const cb = J[b];
          for (let i = 0; i < n; i++) s += ca[i] * cb[i];
          JtJ[a * 6 + b] = JtJ[b * 6 + a] = s;
        }
        let g = 0;
        for (let i = 0; i < n; i++) g += J[a][i] * (current[i] - target.data[i]);
        Jtr[a] = g;
      }
      let stepped = false;
      for (let attempt = 0; attempt < 4 && !stepped; attempt++) {
        const A = Float64Array.from(JtJ);
        for (let a = 0; a < 6; a++) A[a * 7] += lambda * JtJ[a * 7] + 1e-12;
        const delta = choleskySolve(A, Float64Array.from(Jtr, (g) => -g), 6);
        if (!delta) {
          lambda *= 10;
          continue;
        }
        const trialCam = applyPoseIncrement(cam, delta, depthScale);
        const trial = await drawLevel(trialCam);
        const trialCost = sumSq(trial, target.data);
        if (trialCost < cost) {
          const gain = (cost - trialCost) / cost;
          cam = trialCam;
          current = trial;
          cost = trialCost;
          lambda = Math.max(lambda / 3, 1e-7);
          accepted++;
          stepped = true;
          if (gain < tolerance) it = iterations[li];
        } else {
          lambda *= 10;
        }
      }
      if (!stepped) break;
    }
    camera = cam;
  }
  const last = await draw(camera);
  let finalMse = sumSq(last.image.data, photo.data) / photo.data.length;
  if (finalMse > initialMse) {
    // the pyramid's optimum is worse at full resolution: keep the initial pose
    camera = initial;
    finalMse = initialMse;
  }
  const Rrel = mul3(camera.R, Float64Array.from([initial.R[0], initial.R[3], initial.R[6], initial.R[1], initial.R[4], initial.R[7], initial.R[2], initial.R[5], initial.R[8]]));
  const rotationChangeDeg = (Math.acos(Math.min(1, Math.max(-1, (Rrel[0] + Rrel[4] + Rrel[8] - 1) / 2))) * 180) / Math.PI;
  const c0 = initial.center;
  const c1 = camera.center;
  return {
    camera,
    initialMse,
    finalMse,
    iterations: accepted,
    renders,
    rotationChangeDeg,
    centreChange: Math.hypot(c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]),
    ms: performance.now() - t0,
  };
}
