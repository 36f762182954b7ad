/**
 * Relative depth guidance, invariant to scale and shift of the prior, on the GPU with its backward
 * pass: the Pearson-correlation form of FSGS (Zhu et al. 2024), SparseGS (Xiong et al. 2024) and
 * DNGaussian's / RDG-GS's patch-wise correlation (Li et al. 2024; Zhan et al. 2025), on random
 * square patches plus a global term:
 *   corr(S) = sum_S r~ p~ / sqrt((sum_S r~^2 + n eps)(sum_S p~^2 + n eps)),
 *             r~ = r - mean_S r, p~ = p - mean_S p, n = |S|, eps = PEARSON_EPS (1e-6 depth units^2)
 *   loss = weight * ( mean_{patches k with n_k >= 2} (1 - corr(patch_k)) + globalWeight * (1 - corr(image)) )
 * S holds only valid pixels: `valid` nonzero and, when renderAlpha is given, alpha > alphaThreshold.
 * Sets with fewer than 2 valid pixels contribute 0. Patch corners come from `seed`
 * (`relativeDepthPatchCorners` in ./random.ts); the float64 reference is `relativeDepthLossRef`.
 * The prior must have the same sense as the render (depth vs disparity): Pearson is invariant to
 * a positive or negative affine map, but not to inversion; pass 1/disparity or negate it.
 * Shader: shaders/loss_reldepth.wgsl (4 dispatches, one barrier in total).
 */
import code from '../../../shaders/loss_reldepth.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { bindEntries, cachedPipeline, recordPass, workgroups } from '../../gpu/passes';
import { ParamBlock, Scratch, checkBuffer, checkLossSlot, checkNumber, checkSize, dummyBuffer, lossShader } from './lossUtils';
import { PEARSON_EPS } from './reference';

const LABEL = 'shaders/loss_reldepth.wgsl';
const CHUNK = 64;

/** Parameters of one RelativeDepthLoss.record call. */
export interface RelativeDepthParams {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Rendered depth, f32 H*W row-major (same sense as the prior). */
  renderDepth: GPUBuffer;
  /** Optional rendered alpha (f32 H*W): pixels with alpha <= alphaThreshold are left out. */
  renderAlpha?: GPUBuffer | null;
  /** Depth prior of the view, f32 H*W (any scale and shift). */
  priorDepth: GPUBuffer;
  /** Optional H*W mask, u32 or f32 bits (nonzero = valid, +-0.0 = invalid). */
  valid?: GPUBuffer | null;
  /** Receives += weight * dLoss/dRenderDepth (f32 H*W). */
  gradDepth: GPUBuffer;
  /** Side of the square patches in pixels (<= width, height). */
  patchSize: number;
  /** Number of random patches per step (0 = global term only). */
  patches: number;
  /** Weight of the global (whole-image) term relative to the patch mean. */
  globalWeight: number;
  /** Overall weight of this loss. */
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
  /** Seed of this step's patch positions, any integer (taken modulo 2^32). */
  seed: number;
  /** Alpha threshold used with renderAlpha (default 0.5). */
  alphaThreshold?: number;
}

/** Scale/shift-invariant (Pearson) depth loss with its backward pass on the GPU (see file header). */
export class RelativeDepthLoss {
  private readonly params: ParamBlock;
  private readonly stats: Scratch;
  private readonly dummyU: GPUBuffer;
  private readonly dummyF: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly st: GPUComputePipeline,
    private readonly comb: GPUComputePipeline,
    private readonly grGlobal: GPUComputePipeline,
    private readonly grPatch: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 64, 'RelativeDepthLoss.params');
    this.stats = new Scratch(gpu.device, 'RelativeDepthLoss.stats');
    this.dummyU = dummyBuffer(gpu.device, 'RelativeDepthLoss.noMask');
    this.dummyF = dummyBuffer(gpu.device, 'RelativeDepthLoss.noAlpha');
  }

  /** Compiles the pipelines. @throws ShaderCompileError when the WGSL fails to compile. */
  static async create(gpu: GpuContext): Promise<RelativeDepthLoss> {
    const src = lossShader(code);
    const entries = ['rd_stats', 'rd_combine', 'rd_grad_global', 'rd_grad_patch'];
    const [s, c, g, q] = await Promise.all(entries.map((e) => cachedPipeline(gpu.device, src, e, LABEL)));
    return new RelativeDepthLoss(gpu, s, c, g, q);
  }

  /**
   * Records forward + backward: adds weight * dLoss/dRenderDepth into gradDepth and writes
   * weight * loss to lossOut[lossSlot].
   * @throws Error naming the field when a size, buffer or number is invalid (e.g. patchSize larger
   * than the image).
   */
  record(enc: GPUCommandEncoder, p: RelativeDepthParams): void {
    const where = 'RelativeDepthLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    for (const f of ['renderDepth', 'priorDepth', 'gradDepth'] as const) checkBuffer(where, f, p[f], n * 4);
    if (p.renderAlpha) checkBuffer(where, 'renderAlpha', p.renderAlpha, n * 4);
    if (p.valid) checkBuffer(where, 'valid', p.valid, n * 4);
    if (!Number.isInteger(p.patches) || p.patches < 0 || p.patches > 65536) {
      throw new Error(`${where}: patches must be an integer in [0, 65536], got ${p.patches}`);
    }
    if (p.patches > 0 && (!Number.isInteger(p.patchSize) || p.patchSize < 2 || p.patchSize > p.width || p.patchSize > p.height)) {
      throw new Error(`${where}: patchSize must be an integer in [2, min(width, height) = ${Math.min(p.width, p.height)}], got ${p.patchSize}`);
    }
    if (p.patches * p.patchSize * p.patchSize > 65535 * 256) {
      throw new Error(`${where}: patches * patchSize^2 = ${p.patches * p.patchSize * p.patchSize} exceeds ${65535 * 256} pixels per step`);
    }
    checkNumber(where, 'globalWeight', p.globalWeight, 0);
    checkNumber(where, 'weight', p.weight);
    if (!Number.isInteger(p.seed)) throw new Error(`${where}: seed must be an integer (used as u32), got ${p.seed}`);
    const alphaThreshold = p.alphaThreshold ?? 0.5;
    checkNumber(where, 'alphaThreshold', alphaThreshold);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const chunks = Math.ceil(n / CHUNK);
    const stats = this.stats.get((p.patches + chunks + 1) * 32).buffer;
    const [bx, by] = workgroups(n, 256);
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = p.patches > 0 ? p.patchSize : 1;
      u[3] = p.patches;
      u[4] = p.seed >>> 0;
      u[5] = chunks;
      f[6] = p.weight;
      f[7] = p.globalWeight;
      u[8] = p.lossSlot;
      u[9] = p.valid ? 1 : 0;
      u[10] = p.renderAlpha ? 1 : 0;
      f[11] = alphaThreshold;
      u[12] = bx;
      f[13] = PEARSON_EPS;
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const valid = p.valid ?? this.dummyU;
    const alpha = p.renderAlpha ?? this.dummyF;
    const run = (pipe: GPUComputePipeline, entries: Record<number, GPUBuffer>, size: [number, number?], label: string) =>
      recordPass(enc, 'loss.relativeDepth', pipe, bindEntries(d, pipe, entries, label), size);
    const inputs = { 0: U, 1: p.renderDepth, 2: p.priorDepth, 3: valid, 4: alpha, 5: stats };
    run(this.st, inputs, [Math.ceil((p.patches + chunks) / 64)], 'RelativeDepthLoss.stats');
    run(this.comb, { 0: U, 5: stats, 6: p.lossOut }, [1], 'RelativeDepthLoss.combine');
    run(this.grGlobal, { ...inputs, 7: p.gradDepth }, [bx, by], 'RelativeDepthLoss.gradGlobal');
    if (p.patches > 0) {
      run(this.grPatch, { ...inputs, 8: p.gradDepth }, [Math.ceil((p.patches * p.patchSize * p.patchSize) / 256)], 'RelativeDepthLoss.gradPatch');
    }
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.stats.destroy();
    this.dummyU.destroy();
    this.dummyF.destroy();
  }
}
