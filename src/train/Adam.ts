import adamWgsl from '../../shaders/adam.wgsl?raw';
import type { GpuContext } from '../gpu/device';
import { createUniformBuffer, writeBuffer } from '../gpu/buffers';
import { bindBuffers, createComputePipeline, workgroups } from '../gpu/pipelines';
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
    const pipeline = await createComputePipeline(gpu.device, adamWgsl, 'main', 'shaders/adam.wgsl');
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
   */
  record(encoder: GPUCommandEncoder, params: GaussianBuffers, grads: GaussianBuffers, lrs: LearningRates): void {
    this.syncCapacity(params);
    this.step++;
    const { beta1, beta2, eps } = this.config;
    const bias1 = 1 - Math.pow(beta1, this.step);
    const bias2 = 1 - Math.pow(beta2, this.step);
    const pass = encoder.beginComputePass({ label: 'adam' });
    pass.setPipeline(this.pipeline);
    for (const g of PARAM_GROUPS) {
      const lr = lrs[g];
      if (lr === 0 && !(g === 'sh' && lrs.shRest !== 0)) continue;
      const width = GROUP_WIDTH[g];
      const count = params.count * width;
      if (count === 0) continue;
      const u = new ArrayBuffer(48);
      const ui = new Uint32Array(u);
      const uf = new Float32Array(u);
      ui[0] = count;
      ui[1] = width;
      ui[2] = g === 'sh' ? 3 : width;
      uf[4] = lr;
      uf[5] = g === 'sh' ? lrs.shRest : lr;
      uf[6] = beta1;
      uf[7] = beta2;
      uf[8] = eps;
      uf[9] = bias1;
      uf[10] = bias2;
      writeBuffer(this.gpu.device, this.uniforms[g], uf);
      const bind = bindBuffers(this.gpu.device, this.pipeline, [
        this.uniforms[g],
        params.buffers[g],
        grads.buffers[g],
        this.m.buffers[g],
        this.v.buffers[g],
      ]);
      pass.setBindGroup(0, bind);
      const [x, y] = workgroups(count, 256);
      pass.dispatchWorkgroups(x, y);
    }
    pass.end();
  }
}
