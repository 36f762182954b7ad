/**
 * S3IM, Stochastic Structural SIMilarity (Xie et al., "S3IM: Stochastic Structural SIMilarity and Its
 * Unreasonable Effectiveness for Neural Fields", ICCV 2023; official code model_components/s3im.py),
 * on the GPU with its backward pass:
 *   - 4096 pixels are drawn without replacement from the seed (keyed permutation of the H*W pixels;
 *     when H*W < 4096, fresh permutations are appended until 4096 samples);
 *   - the samples are repeated M = 10 times, repeat 0 in sample order and repeats 1..9 under fresh
 *     permutations, concatenated and reshaped row-major into a 3 x 64 x 640 virtual image;
 *   - SSIM (pytorch-ssim `_ssim`) with a 4-tap Gaussian window (sigma 1.5), stride 4, zero padding 1,
 *     C1 = 0.01^2, C2 = 0.03^2, mean over the 3 x 16 x 160 windows;
 *   - loss = weight * (1 - S3IM).
 * `s3imVirtualPatchPixels` (./random.ts) reproduces the sampled pixels; `s3imLossRef`
 * (./reference.ts) is the float64 reference. Shader: shaders/loss_s3im.wgsl (3 dispatches).
 */
import code from '../../../shaders/loss_s3im.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass } from '../../gpu/passes';
import { ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, lossShader } from './lossUtils';
import { S3IM, feistelHalfBits } from './random';

const LABEL = 'shaders/loss_s3im.wgsl';
const FWD_GROUPS = Math.ceil((16 * 160) / 256);

/** Parameters of one S3imLoss.record call. */
export interface S3imParams {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Rendered image: f32 H*W*3, row-major interleaved RGB, sRGB-encoded values in [0,1]. */
  render: GPUBuffer;
  /** Ground-truth image, same layout. */
  target: GPUBuffer;
  /** Receives += weight * dLoss/dRender. */
  gradRender: GPUBuffer;
  /** Overall weight of this loss. */
  weight: number;
  /** f32 buffer receiving weight * (1 - S3IM) at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
  /** Seed of this step's pixel sample and permutations, any integer (taken modulo 2^32); use a fresh one per step. */
  seed: number;
}

/** S3IM loss with its backward pass on the GPU (see file header). */
export class S3imLoss {
  private readonly params: ParamBlock;
  private readonly gpatch: Scratch;
  private readonly partials: Scratch;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly fwd: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
    private readonly bwd: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 48, 'S3imLoss.params');
    this.gpatch = new Scratch(gpu.device, 'S3imLoss.gpatch');
    this.partials = new Scratch(gpu.device, 'S3imLoss.partials');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<S3imLoss> {
    const src = lossShader(code);
    const [f, n, b] = await Promise.all(['s3im_fwd', 's3im_finalize', 's3im_bwd'].map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new S3imLoss(gpu, f, n, b);
  }

  /**
   * Records forward + backward: adds weight * dLoss/dRender into gradRender, writes weight * loss
   * to lossOut[lossSlot]. The sample is generated on the GPU from `seed` (no upload of indices).
   * @throws Error naming the field when a size, buffer or number is invalid.
   */
  record(enc: GPUCommandEncoder, p: S3imParams): void {
    const where = 'S3imLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    for (const f of ['render', 'target', 'gradRender'] as const) checkBuffer(where, f, p[f], n * 12);
    checkNumber(where, 'weight', p.weight);
    if (!Number.isInteger(p.seed)) throw new Error(`${where}: seed must be an integer (used as u32), got ${p.seed}`);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const gpatch = this.gpatch.get(S3IM.samples * S3IM.repeats * 12).buffer;
    const partials = this.partials.get(16 * 160 * 4).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = n;
      u[3] = feistelHalfBits(n);
      u[4] = Math.ceil(S3IM.samples / n);
      u[5] = p.seed >>> 0;
      f[6] = p.weight;
      u[7] = p.lossSlot;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const stage = 'loss.s3im';
    recordPass(enc, stage, this.fwd, bindEntries(d, this.fwd, { 0: U, 1: p.render, 2: p.target, 3: gpatch, 4: partials }, 'S3imLoss.fwd'), [FWD_GROUPS]);
    recordPass(enc, stage, this.fin, bindEntries(d, this.fin, { 0: U, 4: partials, 5: p.lossOut }, 'S3imLoss.finalize'), [1]);
    recordPass(enc, stage, this.bwd, bindEntries(d, this.bwd, { 0: U, 3: gpatch, 6: p.gradRender }, 'S3imLoss.bwd'), [S3IM.samples / 256]);
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.gpatch.destroy();
    this.partials.destroy();
  }
}
