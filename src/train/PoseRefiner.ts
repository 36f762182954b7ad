import type { Camera } from '../core/Camera';
import { createStorageBuffer, readF32 } from '../gpu/buffers';
import { applyPoseIncrement } from '../eval/registerView';
import { rotationAngleBetween } from '../poses/rotation';

/** Pose gradient floats per view in the GPU accumulators (dL/dw then dL/dv, padded to 32 bytes). */
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
 * either moves the image by about the same number of pixels. The first training view stays fixed: it
 * anchors the frame (the model and every pose could otherwise drift together).
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

  /**
   * @param device the trainer's device
   * @param cameras the training views' cameras (trainViews order), refined in place of this array's entries
   * @param views their view indices into the scene (for reports)
   * @param depthScale typical depth of the content, world units (translation unit, e.g. medianDepth)
   * @throws Error when depthScale is not positive and finite
   */
  constructor(
    private readonly device: GPUDevice,
    readonly cameras: Camera[],
    private readonly views: number[],
    private readonly depthScale: number,
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
   * undefined for the fixed first view; counts the step.
   */
  gradFor(k: number): GPUBuffer | undefined {
    if (k === 0) return undefined;
    this.steps[k]++;
    return this.slots[k];
  }

  /**
   * Reads the accumulated gradients (one readback), takes one Adam step per view that had steps
   * since the last update, and clears the accumulators.
   * @param lr step size in radians (rotation) and depthScale units (translation)
   */
  async update(lr: number): Promise<void> {
    if (!this.steps.some((s) => s > 0)) return;
    const enc = this.device.createCommandEncoder({ label: 'pose.update' });
    this.slots.forEach((b, k) => enc.copyBufferToBuffer(b, 0, this.gathered, k * SLOT_FLOATS * 4, SLOT_FLOATS * 4));
    for (const b of this.slots) enc.clearBuffer(b);
    this.device.queue.submit([enc.finish()]);
    const g = await readF32(this.device, this.gathered);
    const [b1, b2, eps] = [0.9, 0.999, 1e-15];
    for (let k = 1; k < this.cameras.length; k++) {
      if (this.steps[k] === 0) continue;
      const t = ++this.t[k];
      const m = this.m[k];
      const v = this.v[k];
      const delta = new Float64Array(6);
      for (let j = 0; j < 6; j++) {
        // translation parameter in depthScale units: d/d(v / s) = s d/dv
        const gj = (g[k * SLOT_FLOATS + j] / this.steps[k]) * (j >= 3 ? this.depthScale : 1);
        if (!Number.isFinite(gj)) return; // a broken step: keep the poses (the trainer stops on the loss)
        m[j] = b1 * m[j] + (1 - b1) * gj;
        v[j] = b2 * v[j] + (1 - b2) * gj * gj;
        const mh = m[j] / (1 - b1 ** t);
        const vh = v[j] / (1 - b2 ** t);
        delta[j] = (-lr * mh) / (Math.sqrt(vh) + eps);
      }
      this.cameras[k] = applyPoseIncrement(this.cameras[k], delta, this.depthScale);
      this.steps[k] = 0;
    }
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
