import adamWgsl from '../../shaders/adam.wgsl?raw';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, createUniformBuffer, writeBuffer } from '../gpu/buffers';
import { bindEntries, cachedPipeline, recordPass } from '../gpu/passes';
import { GROUP_WIDTH, GaussianBuffers, PARAM_GROUPS, type ParamGroup } from '../splat/GaussianBuffers';

/** Per-group learning rates. `shRest` applies to SH coefficients above the DC term. */
export type LearningRates = Record<ParamGroup, number> & { shRest: number };

/** Adam hyper-parameters (Kingma & Ba 2015); 3DGS uses beta1 0.9, beta2 0.999, eps 1e-15. */
export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
}

export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-15 };

/** Most rows one pass updates: rows map to workgroup x (256 per workgroup, at most 65535 workgroups). */
const MAX_ROWS = 256 * 65535;

/** Packs the AdamParams uniform of shaders/adam.wgsl (48 bytes). */
function packAdamUniform(rows: number, width: number, split: number, active: number, lr: number, lrRest: number, c: AdamConfig, step: number, decay = 1): Float32Array {
  const u = new ArrayBuffer(48);
  const ui = new Uint32Array(u);
  const uf = new Float32Array(u);
  ui[0] = rows;
  ui[1] = width;
  ui[2] = split;
  ui[3] = active;
  uf[4] = lr;
  uf[5] = lrRest;
  uf[6] = c.beta1;
  uf[7] = c.beta2;
  uf[8] = c.eps;
  uf[9] = 1 - Math.pow(c.beta1, step);
  uf[10] = 1 - Math.pow(c.beta2, step);
  uf[11] = decay;
  return uf;
}

/**
 * Dispatch size of the Adam kernel for `rows` rows (one thread per row, 256 per workgroup).
 * @throws Error when rows exceed 256 * 65535 (the kernel's row limit).
 */
function adamDispatch(rows: number): [number] {
  if (rows > MAX_ROWS) throw new Error(`Adam: ${rows} rows exceed the kernel's limit of ${MAX_ROWS}`);
  return [Math.max(1, Math.ceil(rows / 256))];
}

/**
 * Adam over one flat f32 parameter buffer (same kernel as Adam), for parameters outside the
 * Gaussian groups, such as the per-Gaussian ray depth of the coherent phase.
 */
export class FlatAdam {
  step = 0;
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  private readonly uniform: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipeline: GPUComputePipeline,
    readonly count: number,
    readonly config: AdamConfig,
  ) {
    this.m = createStorageBuffer(gpu.device, count * 4, 'flatAdam.m');
    this.v = createStorageBuffer(gpu.device, count * 4, 'flatAdam.v');
    this.uniform = createUniformBuffer(gpu.device, 48, 'flatAdam.params');
  }

  /** Allocates zeroed moments for `count` floats. */
  static async create(gpu: GpuContext, count: number, config: AdamConfig = DEFAULT_ADAM): Promise<FlatAdam> {
    const pipeline = await cachedPipeline(gpu.device, adamWgsl, 'main', 'shaders/adam.wgsl');
    return new FlatAdam(gpu, pipeline, count, config);
  }

  /** Records one Adam step of `param` (count floats) with gradient `grad` and rate `lr`. */
  record(encoder: GPUCommandEncoder, param: GPUBuffer, grad: GPUBuffer, lr: number): void {
    if (this.count === 0) return;
    this.step++;
    writeBuffer(this.gpu.device, this.uniform, packAdamUniform(this.count, 1, 1, 1, lr, lr, this.config, this.step));
    const bind = bindEntries(this.gpu.device, this.pipeline, { 0: this.uniform, 1: param, 2: grad, 3: this.m, 4: this.v }, 'flatAdam');
    recordPass(encoder, 'adam', this.pipeline, bind, adamDispatch(this.count));
  }

  destroy(): void {
    this.m.destroy();
    this.v.destroy();
    this.uniform.destroy();
  }
}

/**
 * Adam on the GPU over the five Gaussian parameter groups, with per-group learning rates.
 * Moments live in two GaussianBuffers (m, v) of the same layout as the parameters and grow with them.
 * Algorithm 1 of Kingma & Ba (2015) with bias correction; one step counter for all Gaussians.
 */
export class Adam {
  readonly m: GaussianBuffers;
  readonly v: GaussianBuffers;
  step = 0;
  private readonly uniforms: Record<ParamGroup, GPUBuffer>;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipeline: GPUComputePipeline,
    capacity: number,
    readonly config: AdamConfig,
  ) {
    this.m = new GaussianBuffers(gpu.device, capacity, 'adam.m');
    this.v = new GaussianBuffers(gpu.device, capacity, 'adam.v');
    this.m.clear();
    this.v.clear();
    this.uniforms = {} as Record<ParamGroup, GPUBuffer>;
    for (const g of PARAM_GROUPS) this.uniforms[g] = createUniformBuffer(gpu.device, 48, `adam.${g}.params`);
  }

  /** Compiles the kernel and allocates zeroed moments for `capacity` Gaussians. */
  static async create(gpu: GpuContext, capacity: number, config: AdamConfig = DEFAULT_ADAM): Promise<Adam> {
    const pipeline = await cachedPipeline(gpu.device, adamWgsl, 'main', 'shaders/adam.wgsl');
    return new Adam(gpu, pipeline, capacity, config);
  }

  /** Keeps the moments' capacity and count in step with the parameters (call after they grow). */
  syncCapacity(params: GaussianBuffers): void {
    for (const b of [this.m, this.v]) {
      b.ensureCapacity(params.capacity);
      b.count = params.count;
    }
  }

  /**
   * Records one Adam step for all groups: params -= lr * mhat / (sqrt(vhat) + eps).
   * @param params parameters, updated in place (first `params.count` Gaussians)
   * @param grads gradients of the same layout
   * @param lrs learning rate per group (0 freezes a group: it is skipped)
   * @param opacityDecay after the update, each opacity is multiplied by this factor in (0, 1)
   *   (Binocular3DGS's opacity decay; applied to the logits as logit(d * sigmoid(x))); 1 = off
   * @throws Error when opacityDecay is not in (0, 1]
   */
  record(encoder: GPUCommandEncoder, params: GaussianBuffers, grads: GaussianBuffers, lrs: LearningRates, opacityDecay = 1): void {
    if (!(opacityDecay > 0 && opacityDecay <= 1)) throw new Error(`Adam.record: opacityDecay must be in (0, 1], got ${opacityDecay}`);
    this.syncCapacity(params);
    this.step++;
    for (const g of PARAM_GROUPS) {
      const lr = lrs[g];
      const decay = g === 'logitOpacities' ? opacityDecay : 1;
      if (lr === 0 && !(g === 'sh' && lrs.shRest !== 0) && decay === 1) continue;
      const width = GROUP_WIDTH[g];
      // SH bands above the active degree never had a gradient (the degree only grows): skip them.
      const active = g === 'sh' ? 3 * (params.shDegree + 1) ** 2 : width;
      if (params.count === 0) continue;
      const split = g === 'sh' ? 3 : width;
      const lrRest = g === 'sh' ? lrs.shRest : lr;
      writeBuffer(this.gpu.device, this.uniforms[g], packAdamUniform(params.count, width, split, active, lr, lrRest, this.config, this.step, decay));
      const bind = bindEntries(
        this.gpu.device,
        this.pipeline,
        { 0: this.uniforms[g], 1: params.buffers[g], 2: grads.buffers[g], 3: this.m.buffers[g], 4: this.v.buffers[g] },
        `adam.${g}`,
      );
      // One pass per group (not one pass for all): the stage timer times passes.
      recordPass(encoder, 'adam', this.pipeline, bind, adamDispatch(params.count));
    }
  }
}
