/**
 * Total-variation loss on a per-view grid of per-pixel values (CoherentGS, Paliwal et al. ECCV 2024:
 * smoothness of the depth/disparity of the per-pixel Gaussians of each training view), on the GPU
 * with its backward pass. Anisotropic TV over 4-neighbour pairs:
 *   loss = weight / P * sum_{(p,q) right/down pairs, both valid} |d_p - d_q|      (default, L1)
 *   loss = weight / P * sum (d_p - d_q)^2                                             (squared: true)
 * P = H*(W-1) + (H-1)*W, the number of pairs in the full grid (a fixed normalizer, so the gradient
 * needs no global count; d|u|/du at 0 = 0). Float64 reference: `depthTvLossRef` in ./reference.ts.
 * Shader: shaders/loss_tv.wgsl (2 dispatches).
 */
import code from '../../../shaders/loss_tv.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass } from '../../gpu/passes';
import { GRID, ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, dummyBuffer, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_tv.wgsl';

/** Parameters of one DepthTvLoss.record call. */
export interface DepthTvParams {
  /** Grid size in pixels. */
  width: number;
  height: number;
  /** f32 H*W, row-major: per-pixel depth (metres) or disparity of the view's grid. */
  depth: GPUBuffer;
  /** H*W mask, u32 or f32 (read as bits: nonzero = valid, +-0.0 = invalid); null = all valid. */
  valid: GPUBuffer | null;
  /** Receives += weight * dLoss/dDepth (f32 H*W). */
  gradDepth: GPUBuffer;
  /** Overall weight of this loss. */
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
  /** Squared differences instead of absolute ones (default false: L1 TV). */
  squared?: boolean;
}

/** Depth/disparity total variation with its backward pass on the GPU (see file header). */
export class DepthTvLoss {
  private readonly params: ParamBlock;
  private readonly partials: Scratch;
  private readonly dummy: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly main: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 32, 'DepthTvLoss.params');
    this.partials = new Scratch(gpu.device, 'DepthTvLoss.partials');
    this.dummy = dummyBuffer(gpu.device, 'DepthTvLoss.noMask');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<DepthTvLoss> {
    const src = lossShader(code);
    const [m, f] = await Promise.all(['tv', 'tv_finalize'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new DepthTvLoss(gpu, m, f);
  }

  /**
   * Records forward + backward: adds weight * dLoss/dDepth into gradDepth, writes weight * loss to
   * lossOut[lossSlot]. May be recorded several times into one encoder (e.g. one grid per view).
   * @throws Error naming the field when a size, buffer or number is invalid.
   */
  record(enc: GPUCommandEncoder, p: DepthTvParams): void {
    const where = 'DepthTvLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    checkBuffer(where, 'depth', p.depth, n * 4);
    checkBuffer(where, 'gradDepth', p.gradDepth, n * 4);
    if (p.valid) checkBuffer(where, 'valid', p.valid, n * 4);
    checkNumber(where, 'weight', p.weight);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const partials = this.partials.get(GRID * 4).buffer;
    const pairs = p.height * (p.width - 1) + (p.height - 1) * p.width;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = p.valid ? 1 : 0;
      u[3] = p.squared ? 1 : 0;
      f[4] = p.weight;
      f[5] = pairs > 0 ? 1 / pairs : 0;
      u[6] = p.lossSlot;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const valid = p.valid ?? this.dummy;
    recordPass(enc, 'loss.depthTv', this.main, bindEntries(d, this.main, { 0: U, 1: p.depth, 2: valid, 3: partials, 5: p.gradDepth }, 'DepthTvLoss.tv'), [GRID / 256]);
    recordPass(enc, 'loss.depthTv', this.fin, bindEntries(d, this.fin, { 0: U, 3: partials, 4: p.lossOut }, 'DepthTvLoss.finalize'), [1]);
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.partials.destroy();
    this.dummy.destroy();
  }
}
