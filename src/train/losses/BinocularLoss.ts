/**
 * Binocular self-consistency loss (Binocular3DGS, Han et al. NeurIPS 2024, sec. 3.2, eq. 5), on the
 * GPU with its backward pass. A virtual camera shifted by a baseline b (world units) along the
 * training camera's x axis (centre C + b * x_axis, same rotation and intrinsics: `shiftedCamera`)
 * renders `shifted`; the training view's rendered depth warps it back:
 *   z_p = depth_p / alpha_p,  s_p = -fx * b / z_p  (pixels),  warped_p = lerp(shifted[y, floor(x + s_p)], shifted[y, floor(x + s_p) + 1], frac(x + s_p))
 *   loss = weight / (3 H W) * sum over pixels p with alpha_p > alphaMin and both taps inside the row of sum_c |warped_pc - target_pc|
 * (the L1 of the paper's eq. 5 over the warp's valid mask, normalized by the full image as its code
 * does). Gradients flow into the shifted render (dL/dshifted, [H][W][3]) and into the training
 * render's depth and alpha (dL/ddepth, dL/dalpha, [H][W]), i.e. into the Gaussians through both
 * renders. Float64 reference: `binocularLossRef` in ./reference.ts. Shader: shaders/loss_binocular.wgsl.
 */
import code from '../../../shaders/loss_binocular.wgsl?raw';
import { Camera } from '../../core/Camera';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass } from '../../gpu/passes';
import { GRID, ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_binocular.wgsl';

/** Pixels whose rendered alpha is at most this have no depth to warp with (background). */
export const BINOCULAR_ALPHA_MIN = 0.5;

/** Parameters of one BinocularLoss.record call. */
export interface BinocularParams {
  /** Image size in pixels (training and shifted renders alike). */
  width: number;
  height: number;
  /** f32 [H][W]: the training render's alpha-weighted depth sum_i w_i z_i (world units, not normalized). */
  renderDepth: GPUBuffer;
  /** f32 [H][W]: the training render's alpha. */
  renderAlpha: GPUBuffer;
  /** f32 [H][W][3]: render of the shifted camera. */
  shifted: GPUBuffer;
  /** f32 [H][W][3]: the training photo (same encoding as the renders). */
  target: GPUBuffer;
  /** fx of the training camera (pixels) times the baseline b (world units, signed). */
  fxBaseline: number;
  /** Receive += weight * dLoss/d(shifted) ([H][W][3] f32), dLoss/ddepth and dLoss/dalpha ([H][W] f32). */
  gradShifted: GPUBuffer;
  gradDepth: GPUBuffer;
  gradAlpha: GPUBuffer;
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
  /** Alpha threshold of the depth mask (default BINOCULAR_ALPHA_MIN). */
  alphaMin?: number;
}

/**
 * The shifted camera of the binocular pair: centre C + baseline * (camera x axis), same rotation and
 * intrinsics, so with x_cam = R X + t its translation is t - (baseline, 0, 0).
 * @param baseline world units, signed (positive: to the camera's right)
 */
export function shiftedCamera(camera: Camera, baseline: number): Camera {
  const t = [camera.t[0] - baseline, camera.t[1], camera.t[2]];
  return new Camera(camera.R, t, camera.fx, camera.fy, camera.cx, camera.cy, camera.width, camera.height, `${camera.name}+shift`);
}

/** Binocular self-consistency with its backward pass on the GPU (see file header). */
export class BinocularLoss {
  private readonly params: ParamBlock;
  private readonly partials: Scratch;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly main: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 32, 'BinocularLoss.params');
    this.partials = new Scratch(gpu.device, 'BinocularLoss.partials');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<BinocularLoss> {
    const src = lossShader(code);
    const [m, f] = await Promise.all(['binocular', 'binocular_finalize'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new BinocularLoss(gpu, m, f);
  }

  /**
   * Records forward + backward: adds the gradients into gradShifted, gradDepth and gradAlpha and
   * writes weight * loss to lossOut[lossSlot].
   * @throws Error naming the field when a size, buffer or number is invalid.
   */
  record(enc: GPUCommandEncoder, p: BinocularParams): void {
    const where = 'BinocularLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    for (const [field, buf, bytes] of [
      ['renderDepth', p.renderDepth, n * 4], ['renderAlpha', p.renderAlpha, n * 4], ['shifted', p.shifted, n * 12],
      ['target', p.target, n * 12], ['gradShifted', p.gradShifted, n * 12], ['gradDepth', p.gradDepth, n * 4], ['gradAlpha', p.gradAlpha, n * 4],
    ] as const) checkBuffer(where, field, buf, bytes);
    checkNumber(where, 'fxBaseline', p.fxBaseline);
    checkNumber(where, 'weight', p.weight);
    checkNumber(where, 'alphaMin', p.alphaMin ?? BINOCULAR_ALPHA_MIN, 0, 1);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const partials = this.partials.get(GRID * 4).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = p.lossSlot;
      f[4] = p.fxBaseline;
      f[5] = p.alphaMin ?? BINOCULAR_ALPHA_MIN;
      f[6] = p.weight / (3 * n);
      f[7] = p.weight;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    recordPass(enc, 'loss.binocular', this.main, bindEntries(d, this.main, {
      0: U, 1: p.renderDepth, 2: p.renderAlpha, 3: p.shifted, 4: p.target, 5: partials, 7: p.gradShifted, 8: p.gradDepth, 9: p.gradAlpha,
    }, 'BinocularLoss.main'), [GRID / 256]);
    recordPass(enc, 'loss.binocular', this.fin, bindEntries(d, this.fin, { 0: U, 5: partials, 6: p.lossOut }, 'BinocularLoss.finalize'), [1]);
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.partials.destroy();
  }
}
