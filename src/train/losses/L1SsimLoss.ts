/**
 * The 3DGS photometric loss on the GPU, forward and backward:
 *   loss = weight * ((1 - lambdaSsim) * L1 + lambdaSsim * (1 - SSIM))
 * exactly as 3DGS's train.py (`(1 - λ) * Ll1 + λ * (1.0 - ssim(image, gt))`, Kerbl et al. 2023, Eq. 7;
 * note: 3DGS uses 1 - SSIM, not (1 - SSIM) / 2). L1 = mean |render - target| over H*W*3;
 * SSIM = Wang et al. 2004 with an 11-tap Gaussian window (sigma 1.5), C1 = 0.01^2, C2 = 0.03^2,
 * zero 'same' padding per channel (3DGS's conv2d), mean over H*W*3. Float64 reference:
 * `l1SsimLossRef` in ./reference.ts. Shader: shaders/loss_l1ssim.wgsl (3 dispatches in one pass).
 */
import code from '../../../shaders/loss_l1ssim.wgsl?raw';
import type { GpuContext } from '../../gpu/device';
import { createComputePipeline } from '../../gpu/pipelines';
import { BindCache, ParamBlock, Scratch, bindGroup, checkBuffer, checkLossSlot, checkNumber, checkSize, lossShader } from './lossUtils';

const LABEL = 'shaders/loss_l1ssim.wgsl';
const TILE = 16;

/** Parameters of one L1SsimLoss.record call. */
export interface L1SsimParams {
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Rendered image: f32 H*W*3, row-major interleaved RGB, sRGB-encoded values in [0,1]. */
  render: GPUBuffer;
  /** Ground-truth image, same layout. */
  target: GPUBuffer;
  /** Receives += weight * dLoss/dRender (same layout as render). */
  gradRender: GPUBuffer;
  /** D-SSIM weight lambda in [0,1] (3DGS: 0.2). */
  lambdaSsim: number;
  /** Overall weight of this loss. */
  weight: number;
  /** f32 buffer receiving weight * loss at float index lossSlot. */
  lossOut: GPUBuffer;
  lossSlot: number;
}

/** L1 + D-SSIM loss of 3DGS with its backward pass, on the GPU (see file header for the formula). */
export class L1SsimLoss {
  private readonly params: ParamBlock;
  private readonly dmaps: Scratch;
  private readonly partials: Scratch;
  private readonly cache = new BindCache();

  private constructor(
    private readonly gpu: GpuContext,
    private readonly fwd: GPUComputePipeline,
    private readonly fin: GPUComputePipeline,
    private readonly bwd: GPUComputePipeline,
  ) {
    this.params = new ParamBlock(gpu.device, 32, 'L1SsimLoss.params');
    this.dmaps = new Scratch(gpu.device, 'L1SsimLoss.dmaps');
    this.partials = new Scratch(gpu.device, 'L1SsimLoss.partials');
  }

  /**
   * Compiles the pipelines.
   * @throws ShaderCompileError when the WGSL fails to compile on this device.
   */
  static async create(gpu: GpuContext): Promise<L1SsimLoss> {
    const src = lossShader(code);
    const [f, n, b] = await Promise.all([
      createComputePipeline(gpu.device, src, 'ssim_fwd', LABEL),
      createComputePipeline(gpu.device, src, 'finalize', LABEL),
      createComputePipeline(gpu.device, src, 'ssim_bwd', LABEL),
    ]);
    return new L1SsimLoss(gpu, f, n, b);
  }

  /**
   * Records forward + backward: adds weight * dLoss/dRender into gradRender and writes
   * weight * loss to lossOut[lossSlot]. No CPU readback. Scratch: 36 bytes per pixel.
   * @throws Error naming the field when a size, buffer or number is invalid.
   */
  record(enc: GPUCommandEncoder, p: L1SsimParams): void {
    const where = 'L1SsimLoss.record';
    checkSize(where, p.width, p.height);
    const n = p.width * p.height;
    for (const f of ['render', 'target', 'gradRender'] as const) checkBuffer(where, f, p[f], n * 12);
    checkNumber(where, 'lambdaSsim', p.lambdaSsim, 0, 1);
    checkNumber(where, 'weight', p.weight);
    checkLossSlot(where, p.lossOut, p.lossSlot);
    const tx = Math.ceil(p.width / TILE);
    const ty = Math.ceil(p.height / TILE);
    const dmaps = this.dmaps.get(n * 36).buffer;
    const partials = this.partials.get(tx * ty * 8).buffer;
    this.params.record(enc, (u, f) => {
      u[0] = p.width;
      u[1] = p.height;
      u[2] = tx;
      u[3] = tx * ty;
      f[4] = p.lambdaSsim;
      f[5] = p.weight;
      u[6] = p.lossSlot;
      f[7] = 1 / (n * 3);
    });
    const d = this.gpu.device;
    const U = this.params.buffer;
    const [gf, gn, gb] = this.cache.get([p.render, p.target, p.gradRender, p.lossOut, dmaps, partials], () => [
      bindGroup(d, this.fwd, { 0: U, 1: p.render, 2: p.target, 3: dmaps, 4: partials }, 'L1SsimLoss.fwd'),
      bindGroup(d, this.fin, { 0: U, 4: partials, 5: p.lossOut }, 'L1SsimLoss.finalize'),
      bindGroup(d, this.bwd, { 0: U, 1: p.render, 2: p.target, 3: dmaps, 6: p.gradRender }, 'L1SsimLoss.bwd'),
    ]);
    const pass = enc.beginComputePass({ label: 'L1SsimLoss' });
    pass.setPipeline(this.fwd);
    pass.setBindGroup(0, gf);
    pass.dispatchWorkgroups(tx, ty);
    pass.setPipeline(this.fin);
    pass.setBindGroup(0, gn);
    pass.dispatchWorkgroups(1);
    pass.setPipeline(this.bwd);
    pass.setBindGroup(0, gb);
    pass.dispatchWorkgroups(tx, ty);
    pass.end();
  }

  /** Frees the scratch buffers. */
  destroy(): void {
    this.dmaps.destroy();
    this.partials.destroy();
    this.cache.clear();
  }
}

