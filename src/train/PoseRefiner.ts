import { Camera } from '../core/Camera';
import { createStorageBuffer, readF32 } from '../gpu/buffers';
import { applyPoseIncrement } from '../eval/registerView';
import { rotationAngleBetween } from '../poses/rotation';

/** Gradient floats per view in the GPU accumulators (dL/dw, dL/dv, dL/dlog f, padded to 32 bytes). */
const SLOT_FLOATS = 8;

/** How far refinement moved one training camera from its starting pose. */
export interface PoseChange {
  /** View index into the scene. */
  view: number;
  /** Rotation between the starting and the refined camera, degrees. */
  rotationDeg: number;
  /** Camera-centre motion, world units. */
  centre: number;
}

/**
 * Photometric refinement of the training cameras' poses during training, for photos whose poses
 * were estimated (a few tenths of a degree off: the joint pose optimization of pose-free 3DGS,
 * InstantSplat, Fan et al. 2024; gsplat's pose_opt). The rasterizer's backward ADDS each step's
 * pose gradient (GaussianRasterizer.backward's poseGrad: dL/dw, dL/dv, camera frame) into this
 * view's GPU accumulator; `update` reads them all in one readback, averages over the steps each view
 * had, and takes one Adam step per view on (w, v / depthScale) (Kingma & Ba 2015), so one unit of
 * either moves the image by about the same number of pixels. The first training view's pose stays
 * fixed: it anchors the frame (the model and every pose could otherwise drift together). With a focal
 * rate, the focal shared by all views (fx and fy scaled together, principal points fixed) is refined
 * too, from every view's steps, as log f by its own Adam.
 */
export class PoseRefiner {
  /** Per training view its accumulator (a binding of its own: bindings here take whole buffers). */
  private readonly slots: GPUBuffer[];
  /** All accumulators side by side, copied for one readback. */
  private readonly gathered: GPUBuffer;
  private readonly steps: number[];
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private readonly t: number[];
  private readonly start: Camera[];
  private readonly focal = { m: 0, v: 0, t: 0 };
  /** Adam updates applied so far (0 until the first update with accumulated steps). */
  updates = 0;

  /**
   * @param device the trainer's device
   * @param cameras the training views' cameras (trainViews order), refined in place of this array's entries
   * @param views their view indices into the scene (for reports)
   * @param depthScale typical depth of the content, world units (translation unit, e.g. medianDepth)
   * @param refineFocal also refine the shared focal (update's focalLr)
   * @throws Error when depthScale is not positive and finite
   */
  constructor(
    private readonly device: GPUDevice,
    readonly cameras: Camera[],
    private readonly views: number[],
    private readonly depthScale: number,
    private readonly refineFocal = false,
  ) {
    if (!(depthScale > 0 && Number.isFinite(depthScale))) throw new Error(`PoseRefiner: depthScale must be positive, got ${depthScale}`);
    const n = cameras.length;
    this.slots = cameras.map((_, k) => createStorageBuffer(device, SLOT_FLOATS * 4, `pose.grad.${views[k]}`));
    this.gathered = createStorageBuffer(device, n * SLOT_FLOATS * 4, 'pose.grads');
    this.steps = new Array(n).fill(0);
    this.m = cameras.map(() => new Float64Array(6));
    this.v = cameras.map(() => new Float64Array(6));
    this.t = new Array(n).fill(0);
    this.start = cameras.slice();
  }

  /**
   * The accumulator a step on training view k (trainViews order) adds its pose gradient to, or
   * undefined for the fixed first view when the focal is not refined; counts the step.
   */
  gradFor(k: number): GPUBuffer | undefined {
    if (k === 0 && !this.refineFocal) return undefined;
    this.steps[k]++;
    return this.slots[k];
  }

  /**
   * Reads the accumulated gradients (one readback), takes one Adam step per view that had steps
   * since the last update, and clears the accumulators.
   * @param lr step size in radians (rotation) and depthScale units (translation)
   * @param focalLr step size of log f (when the focal is refined)
   */
  async update(lr: number, focalLr = 0): Promise<void> {
    if (!this.steps.some((s) => s > 0)) return;
    const enc = this.device.createCommandEncoder({ label: 'pose.update' });
    this.slots.forEach((b, k) => enc.copyBufferToBuffer(b, 0, this.gathered, k * SLOT_FLOATS * 4, SLOT_FLOATS * 4));
    for (const b of this.slots) enc.clearBuffer(b);
    this.device.queue.submit([enc.finish()]);
    const g = await readF32(this.device, this.gathered);
    const [b1, b2, eps] = [0.9, 0.999, 1e-15];
    const adam = (st: { m: number; v: number }, gj: number, t: number, rate: number): number => {
      st.m = b1 * st.m + (1 - b1) * gj;
      st.v = b2 * st.v + (1 - b2) * gj * gj;
      return (-rate * (st.m / (1 - b1 ** t))) / (Math.sqrt(st.v / (1 - b2 ** t)) + eps);
    };
    if (!g.every(Number.isFinite)) return; // a broken step: keep the poses (the trainer stops on the loss)
    this.updates++;
    let focalGrad = 0;
    let focalSteps = 0;
    for (let k = 0; k < this.cameras.length; k++) {
      if (this.steps[k] === 0) continue;
      focalGrad += g[k * SLOT_FLOATS + 6];
      focalSteps += this.steps[k];
      if (k === 0) continue;
      const t = ++this.t[k];
      const delta = new Float64Array(6);
      for (let j = 0; j < 6; j++) {
        // translation parameter in depthScale units: d/d(v / s) = s d/dv
        const gj = (g[k * SLOT_FLOATS + j] / this.steps[k]) * (j >= 3 ? this.depthScale : 1);
        const st = { m: this.m[k][j], v: this.v[k][j] };
        delta[j] = adam(st, gj, t, lr);
        this.m[k][j] = st.m;
        this.v[k][j] = st.v;
      }
      this.cameras[k] = applyPoseIncrement(this.cameras[k], delta, this.depthScale);
    }
    this.steps.fill(0);
    if (this.refineFocal && focalLr > 0 && focalSteps > 0) {
      const s = Math.exp(adam(this.focal, focalGrad / focalSteps, ++this.focal.t, focalLr));
      for (let k = 0; k < this.cameras.length; k++) {
        const c = this.cameras[k];
        this.cameras[k] = new Camera(c.R, c.t, c.fx * s, c.fy * s, c.cx, c.cy, c.width, c.height, c.name);
      }
    }
  }

  /** The focal (fx, pixels) now over the starting one: 1 unless the focal is refined. */
  get focalScale(): number {
    return this.cameras[0].fx / this.start[0].fx;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.gathered.destroy();
    for (const b of this.slots) b.destroy();
  }

  /** How far each training camera moved from its starting pose. */
  changes(): PoseChange[] {
    return this.cameras.map((c, k) => {
      const a = this.start[k].center;
      const b = c.center;
      return {
        view: this.views[k],
        rotationDeg: (rotationAngleBetween(this.start[k].R, c.R) * 180) / Math.PI,
        centre: Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]),
      };
    });
  }
}
