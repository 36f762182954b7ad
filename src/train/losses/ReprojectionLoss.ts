/**
 * Multi-view reprojection loss on the GPU with its backward pass: the photometric consistency of the
 * rendered depth with the other training photos, as self-supervised depth learning uses it
 * (Monodepth2, Godard et al. ICCV 2019, eq. 1 and 4: the per-pixel minimum over source views, L1
 * part only). Each training pixel p with rendered alpha > alphaMin is lifted to its rendered depth
 * z_p = depth_p / alpha_p (camera z), projected into each source camera and compared with that
 * source's photo there (bilinear):
 *   loss = weight / (3 H W) * sum_p min over valid sources s of sum_c |photo_s(u_s(z_p))_c - target_pc|
 * A source is valid at p when the point is in front of it and its four bilinear taps lie inside the
 * image. Gradients flow into the training render's depth and alpha only (dL/ddepth, dL/dalpha,
 * [H][W]); the photos are constants. It needs no extra render, unlike the binocular loss. When the
 * target is itself a render (a virtual view between training cameras, compared with the training
 * photos: the novel-view consistency of FewViewGS, Yin et al. NeurIPS 2024, sec. 3.3, without its
 * feature matching), `gradTarget` also receives dL/dtarget = -weight / (3 H W) sign(photo - target).
 * Float64 reference: `reprojectionLossRef` in ./reference.ts. Shader: shaders/loss_reprojection.wgsl.
 */
import code from '../../../shaders/loss_reprojection.wgsl?raw';
import { type Camera, relativePose } from '../../core/Camera';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass } from '../../gpu/passes';
import { GRID, ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, dummyBuffer, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_reprojection.wgsl';

/** Pixels whose rendered alpha is at most this have no depth to reproject (background). */
export const REPROJECTION_ALPHA_MIN = 0.5;

/** Most sources compared per pixel (the shader's array size). */
export const REPROJECTION_MAX_SOURCES = 4;

/**
 * A source view as the reference camera sees it: Y = R X + t maps reference-camera coordinates X
 * to source-camera coordinates Y (R row-major 3x3, t in world units), then pinhole intrinsics in
 * pixels (OpenCV, pixel centres at integer + 0.5).
 */
export interface ReprojectionGeometry {
  R: number[];
  t: number[];
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

/** The reference-to-source transform of two world-to-camera cameras (relativePose), with the source's intrinsics. */
export function reprojectionGeometry(reference: Camera, source: Camera): ReprojectionGeometry {
  return { ...relativePose(reference, source), fx: source.fx, fy: source.fy, cx: source.cx, cy: source.cy };
}

/** One source of a ReprojectionLoss.record call: its geometry and its photo (f32 [H][W][3], the reference's size and encoding). */
export interface ReprojectionSource extends ReprojectionGeometry {
  photo: GPUBuffer;
}

/** Parameters of one ReprojectionLoss.record call. */
export interface ReprojectionParams {
  /** Image size in pixels (render, target and source photos alike). */
  width: number;
  height: number;
  /** Reference (training) camera intrinsics, pixels. */
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  /** f32 [H][W]: the training render's alpha-weighted depth sum_i w_i z_i (world units, not normalized). */
  renderDepth: GPUBuffer;
  /** f32 [H][W]: the training render's alpha. */
  renderAlpha: GPUBuffer;
  /** f32 [H][W][3]: the training photo, or the render of a virtual view (then pass gradTarget). */
  target: GPUBuffer;
  /** Optional f32 [H][W][3]: receives += dLoss/dtarget, for a target that is a render. */
  gradTarget?: GPUBuffer;
  /** 1 to REPROJECTION_MAX_SOURCES source views. */
  sources: ReprojectionSource[];
  /** Receive += weight * dLoss/ddepth and dLoss/dalpha ([H][W] f32). */
  gradDepth: GPUBuffer;
  gradAlpha: GPUBuffer;
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
  /** Alpha threshold of the depth mask (default REPROJECTION_ALPHA_MIN). */
  alphaMin?: number;
}

/** Multi-view reprojection loss with its backward pass on the GPU (see file header). */
export class ReprojectionLoss {
  private readonly params: ParamBlock;
  private readonly partials: Scratch;
  /** The sources' photos packed one after another, [sources][H][W][3], so that they take one binding. */
  private readonly photos: Scratch;
  /** Bound as grad_target when the target is a photo (the shader then never writes it). */
  private readonly noGradTarget: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly main: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 48 + 64 * REPROJECTION_MAX_SOURCES, 'ReprojectionLoss.params');
    this.partials = new Scratch(gpu.device, 'ReprojectionLoss.partials');
    this.photos = new Scratch(gpu.device, 'ReprojectionLoss.photos');
    this.noGradTarget = dummyBuffer(gpu.device, 'ReprojectionLoss.noGradTarget');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<ReprojectionLoss> {
    const src = lossShader(code);
    const [m, f] = await Promise.all(['reprojection', 'reprojection_finalize'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new ReprojectionLoss(gpu, m, f);
  }

  /**
   * Records forward + backward: adds the gradients into gradDepth and gradAlpha and writes
   * weight * loss to lossOut[lossSlot].
   * @throws Error naming the field when a size, buffer, number or the source count is invalid.
   */
  record(enc: GPUCommandEncoder, p: ReprojectionParams): void {
    const where = 'ReprojectionLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    if (!(p.sources.length >= 1 && p.sources.length <= REPROJECTION_MAX_SOURCES)) {
      throw new Error(`${where}: sources must hold 1 to ${REPROJECTION_MAX_SOURCES} views, got ${p.sources.length}`);
    }
    for (const [field, buf, bytes] of [
      ['renderDepth', p.renderDepth, n * 4], ['renderAlpha', p.renderAlpha, n * 4], ['target', p.target, n * 12],
      ['gradDepth', p.gradDepth, n * 4], ['gradAlpha', p.gradAlpha, n * 4],
    ] as const) checkBuffer(where, field, buf, bytes);
    if (p.gradTarget) checkBuffer(where, 'gradTarget', p.gradTarget, n * 12);
    p.sources.forEach((s, i) => {
      checkBuffer(where, `sources[${i}].photo`, s.photo, n * 12);
      if (s.R.length !== 9 || s.t.length !== 3) throw new Error(`${where}: sources[${i}] needs R (9 values) and t (3), got ${s.R.length} and ${s.t.length}`);
      for (const [field, v] of [...s.R.map((v, k) => [`R[${k}]`, v] as const), ...s.t.map((v, k) => [`t[${k}]`, v] as const), ['cx', s.cx], ['cy', s.cy]] as const) checkNumber(where, `sources[${i}].${field}`, v);
      checkNumber(where, `sources[${i}].fx`, s.fx, Number.MIN_VALUE);
      checkNumber(where, `sources[${i}].fy`, s.fy, Number.MIN_VALUE);
    });
    checkNumber(where, 'fx', p.fx, Number.MIN_VALUE);
    checkNumber(where, 'fy', p.fy, Number.MIN_VALUE);
    checkNumber(where, 'cx', p.cx);
    checkNumber(where, 'cy', p.cy);
    checkNumber(where, 'weight', p.weight);
    checkNumber(where, 'alphaMin', p.alphaMin ?? REPROJECTION_ALPHA_MIN, 0, 1);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const partials = this.partials.get(GRID * 4).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = p.lossSlot;
      u[3] = p.sources.length;
      f[4] = p.fx;
      f[5] = p.fy;
      f[6] = p.cx;
      f[7] = p.cy;
      f[8] = p.alphaMin ?? REPROJECTION_ALPHA_MIN;
      f[9] = p.weight / (3 * n);
      f[10] = p.weight;
      u[11] = p.gradTarget ? 1 : 0;
      p.sources.forEach((s, i) => {
        const o = 12 + 16 * i;
        for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) f[o + 4 * r + c] = s.R[3 * r + c];
        f[o + 3] = s.fx;
        f[o + 7] = s.fy;
        f[o + 11] = s.cx;
        for (let c = 0; c < 3; c++) f[o + 12 + c] = s.t[c];
        f[o + 15] = s.cy;
      });
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const photos = this.photos.get(p.sources.length * n * 12).buffer;
    p.sources.forEach((s, i) => enc.copyBufferToBuffer(s.photo, 0, photos, i * n * 12, n * 12));
    recordPass(enc, 'loss.reprojection', this.main, bindEntries(d, this.main, {
      0: U, 1: p.renderDepth, 2: p.renderAlpha, 3: p.target, 4: photos, 5: p.gradTarget ?? this.noGradTarget, 6: partials, 8: p.gradDepth, 9: p.gradAlpha,
    }, 'ReprojectionLoss.main'), [GRID / 256]);
    recordPass(enc, 'loss.reprojection', this.fin, bindEntries(d, this.fin, { 0: U, 6: partials, 7: p.lossOut }, 'ReprojectionLoss.finalize'), [1]);
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.partials.destroy();
    this.photos.destroy();
    this.noGradTarget.destroy();
  }
}
