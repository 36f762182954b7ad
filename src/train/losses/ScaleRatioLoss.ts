/**
 * Scale-ratio (anisotropy) regularizer of PhysGaussian (Xie et al. CVPR 2024, Eq. 11) on the GPU,
 * with its backward pass: Gaussians much longer than they are thin, the needles that streak across
 * novel views of a sparse capture, are pulled back toward a ratio of at most r:
 *   loss = weight / N * sum_i max(smax_i / smin_i, r) - r,   s = exp(logScales) (world units)
 * over the N Gaussians. Gradient into the log scales of the largest and smallest axis only.
 * Float64 reference: `scaleRatioLossRef` in ./reference.ts. Shader: shaders/loss_scale_ratio.wgsl.
 */
import code from '../../../shaders/loss_scale_ratio.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass } from '../../gpu/passes';
import { GRID, ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_scale_ratio.wgsl';

/** Parameters of one ScaleRatioLoss.record call. */
export interface ScaleRatioParams {
  /** Gaussians N (rows of logScales read). */
  count: number;
  /** f32 [N][3]: natural log of the scales, world units. */
  logScales: GPUBuffer;
  /** f32 [N][3]: receives += dLoss/dlogScales. */
  gradLogScales: GPUBuffer;
  /** Overall weight of this loss. */
  weight: number;
  /** Largest ratio smax / smin that costs nothing, r >= 1. */
  maxRatio: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
}

/** The scale-ratio regularizer with its backward pass on the GPU (see file header). */
export class ScaleRatioLoss {
  private readonly params: ParamBlock;
  private readonly partials: Scratch;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly main: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 32, 'ScaleRatioLoss.params');
    this.partials = new Scratch(gpu.device, 'ScaleRatioLoss.partials');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<ScaleRatioLoss> {
    const src = lossShader(code);
    const [m, f] = await Promise.all(['scale_ratio', 'scale_ratio_finalize'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new ScaleRatioLoss(gpu, m, f);
  }

  /**
   * Records forward + backward: adds weight * dLoss/dlogScales into gradLogScales and writes
   * weight * loss to lossOut[lossSlot] (0 for no Gaussians).
   * @throws Error naming the field when the count, a buffer or a number is invalid.
   */
  record(enc: GPUCommandEncoder, p: ScaleRatioParams): void {
    const where = 'ScaleRatioLoss.record';
    if (!Number.isInteger(p.count) || p.count < 0) throw new Error(`${where}: count must be a non-negative integer, got ${p.count}`);
    checkBuffer(where, 'logScales', p.logScales, Math.max(4, p.count * 12));
    checkBuffer(where, 'gradLogScales', p.gradLogScales, Math.max(4, p.count * 12));
    checkNumber(where, 'weight', p.weight);
    checkNumber(where, 'maxRatio', p.maxRatio, 1);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const partials = this.partials.get(GRID * 4).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.count;
      u[1] = p.lossSlot;
      f[2] = p.weight;
      f[3] = p.maxRatio;
      f[4] = p.count > 0 ? 1 / p.count : 0;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    recordPass(enc, 'loss.scaleRatio', this.main, bindEntries(d, this.main, { 0: U, 1: p.logScales, 2: p.gradLogScales, 3: partials }, 'ScaleRatioLoss.main'), [GRID / 256]);
    recordPass(enc, 'loss.scaleRatio', this.fin, bindEntries(d, this.fin, { 0: U, 3: partials, 4: p.lossOut }, 'ScaleRatioLoss.finalize'), [1]);
  }

  /** Frees the scratch buffer. */
  destroy(): void {
    this.partials.destroy();
  }
}
