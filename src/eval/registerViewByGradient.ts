import type { Camera } from '../core/Camera';
import { applyPoseIncrement } from './registerView';
import { rotationAngleBetween } from '../poses/rotation';

/**
 * The photometric loss of a frozen model seen by a camera and its gradient w.r.t. the camera pose:
 * grad = (dL/dw, dL/dv), camera frame, w radians, v world units (e.g. Trainer.photometricPoseGradient).
 */
export type PoseGradientOracle = (camera: Camera) => Promise<{ loss: number; grad: ArrayLike<number> }>;

/** Options of registerViewByGradient. */
export interface RegisterByGradientOptions {
  /** Typical depth of the view's content, world units: the translation parameter's unit. */
  depthScale: number;
  /** Adam steps (default 150). */
  iterations?: number;
  /** Initial and final step size, radians and depthScale units, decayed log-linearly (default 1e-3 -> 1e-5). */
  lrInit?: number;
  lrFinal?: number;
}

/** What registerViewByGradient did. */
export interface RegisterByGradientResult {
  /** The pose with the lowest loss seen (the initial one when no step lowered it). */
  camera: Camera;
  initialLoss: number;
  finalLoss: number;
  iterations: number;
  /** Rotation (degrees) and camera-centre motion (world units) from the initial to the returned pose. */
  rotationChangeDeg: number;
  centreChange: number;
  ms: number;
}

/**
 * Registers a held-out view to a frozen model by gradient descent on the photometric loss over its
 * pose, with the analytic pose gradient (as pose-free 3DGS methods register test views: CF-3DGS, Fu
 * et al. CVPR 2024, sec. 5, "optimise the camera poses of the test views with the model frozen").
 * Adam (Kingma & Ba 2015) on the increment (w, v / depthScale) of registerView's parameterization
 * (x_cam' = exp([w]x) x_cam + v), steps decayed log-linearly; returns the lowest-loss pose seen.
 * Intrinsics stay fixed. Each step costs one render and its backward (no finite differences).
 * @param oracle loss and pose gradient at a camera (the model frozen)
 * @param initial starting camera (e.g. from PnP)
 * @throws Error when depthScale is not positive and finite, or the initial loss is not finite
 */
export async function registerViewByGradient(oracle: PoseGradientOracle, initial: Camera, opts: RegisterByGradientOptions): Promise<RegisterByGradientResult> {
  const t0 = performance.now();
  const s = opts.depthScale;
  if (!(s > 0 && Number.isFinite(s))) throw new Error(`registerViewByGradient: depthScale must be positive and finite, got ${s}`);
  const iterations = opts.iterations ?? 150;
  const lr0 = opts.lrInit ?? 1e-3;
  const lr1 = opts.lrFinal ?? 1e-5;
  const m = new Float64Array(6);
  const v = new Float64Array(6);
  const [b1, b2, eps] = [0.9, 0.999, 1e-15];
  let cam = initial;
  let best = { camera: initial, loss: Infinity };
  let initialLoss = NaN;
  let done = 0;
  for (let it = 0; it <= iterations; it++) {
    const { loss, grad } = await oracle(cam);
    if (it === 0) {
      if (!Number.isFinite(loss)) throw new Error(`registerViewByGradient: the loss at the initial pose is ${loss}`);
      initialLoss = loss;
    }
    if (!Number.isFinite(loss)) break;
    if (loss < best.loss) best = { camera: cam, loss };
    if (it === iterations) break;
    const lr = Math.exp(Math.log(lr0) + (Math.log(lr1) - Math.log(lr0)) * (it / Math.max(1, iterations - 1)));
    const delta = new Float64Array(6);
    for (let j = 0; j < 6; j++) {
      const g = grad[j] * (j >= 3 ? s : 1);
      m[j] = b1 * m[j] + (1 - b1) * g;
      v[j] = b2 * v[j] + (1 - b2) * g * g;
      delta[j] = (-lr * (m[j] / (1 - b1 ** (it + 1)))) / (Math.sqrt(v[j] / (1 - b2 ** (it + 1))) + eps);
    }
    cam = applyPoseIncrement(cam, delta, s);
    done++;
  }
  const c0 = initial.center;
  const c1 = best.camera.center;
  return {
    camera: best.camera,
    initialLoss,
    finalLoss: best.loss,
    iterations: done,
    rotationChangeDeg: (rotationAngleBetween(initial.R, best.camera.R) * 180) / Math.PI,
    centreChange: Math.hypot(c1[0] - c0[0], c1[1] - c0[1], c1[2] - c0[2]),
    ms: performance.now() - t0,
  };
}
